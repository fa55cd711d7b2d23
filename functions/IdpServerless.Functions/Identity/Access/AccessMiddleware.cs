using System.Diagnostics;
using IdpServerless.Functions.Identity.Authentication;
using IdpServerless.Functions.Identity.Hardening;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Identity.Access;

/// <summary>
/// Enforces every HTTP function's declared permission through the one <see cref="IAccessPolicy"/> (401 without a valid
/// identity, 403 naming the missing permission) and audits, after the fact, every state-changing call and every
/// denial. The audit record is written when the response starts, before the caller sees the outcome, so an answered
/// call is never unaudited. Its constructor runs when the pipeline is built, after every endpoint is mapped: that is
/// where the app refuses to start if a function declares no access rule. ASP.NET Core's 405 endpoint (a wrong method
/// on a route that exists) declares none and runs no function: it passes, unaudited, and becomes a 405 ProblemDetails.
/// </summary>
public sealed partial class AccessMiddleware
{
    private readonly RequestDelegate _next;
    private readonly IAccessPolicy _policy;
    private readonly IAuditLog _audit;
    private readonly ClientAddress _address;
    private readonly FunctionRegistry _registry;
    private readonly ILogger<AccessMiddleware> _logger;

    public AccessMiddleware(RequestDelegate next, IAccessPolicy policy, IAuditLog audit, ClientAddress address, FunctionRegistry registry,
        ILogger<AccessMiddleware> logger, ICollection<EndpointDataSource> endpoints)
    {
        EndpointSecurityCheck.Verify(endpoints);
        _next = next;
        _policy = policy;
        _audit = audit;
        _address = address;
        _registry = registry;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null || IsHostInvocation(_registry, endpoint) || MethodNotAllowed.IsRejectionEndpoint(endpoint))
        {
            await _next(context).ConfigureAwait(false);
            return;
        }

        var required = endpoint.Metadata.GetMetadata<RequiredPermission>();
        var resource = RouteResource.From(context.Request.RouteValues);
        var scoped = required is { ResourceFromRoute: true } ? resource : null;
        var record = new PendingRecord(this, context, endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? endpoint.DisplayName ?? "unnamed", resource?.EntityRef, required?.Permission);
        context.Response.OnStarting(static s => ((PendingRecord)s).WriteAsync(), record);

        if (required is null && endpoint.Metadata.GetMetadata<AnonymousFunction>() is null)
        {
            // The startup check makes this unreachable; if an endpoint appears later, it stays closed.
            await WriteForbiddenAsync(context, "unknown", "This function declares no access rule.").ConfigureAwait(false);
            return;
        }

        if (required is not null)
        {
            var caller = context.GetCaller();
            if (!caller.IsAuthenticated)
            {
                var failure = context.Features.Get<AuthenticationFailure>();
                record.Reason = failure?.Reason ?? "no credentials";
                await Unauthenticated.WriteAsync(context, failure).ConfigureAwait(false);
                return;
            }

            var decision = await _policy.DecideAsync(caller, required.Permission, scoped, context.RequestAborted).ConfigureAwait(false);
            if (!decision.Allowed)
            {
                record.Reason = decision.Reason;
                await WriteForbiddenAsync(context, decision.Permission, decision.Reason ?? "Forbidden.").ConfigureAwait(false);
                return;
            }
        }

        await _next(context).ConfigureAwait(false);
    }

    /// <summary>True for the <c>POST /{FunctionName}</c> endpoints through which the Functions host delivers triggers.</summary>
    public static bool IsHostInvocation(FunctionRegistry registry, Endpoint endpoint)
    {
        var pattern = (endpoint as RouteEndpoint)?.RoutePattern.RawText;
        if (pattern is null || pattern.Length < 2 || pattern[0] != '/' || pattern.IndexOf('/', 1) >= 0)
        {
            return false;
        }

        var name = pattern[1..];
        return registry.TryGetQueue(name, out _) || registry.TryGetTimer(name, out _);
    }

    private static Task WriteForbiddenAsync(HttpContext context, string permission, string reason) =>
        ProblemMiddleware.WriteAsync(context, ProblemException.Forbidden(permission, reason).ToProblemDetails(context.Request.Path));

    private static bool ChangesState(string method) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method));

    /// <summary>How long an answer waits for its audit record to become durable.</summary>
    public static readonly TimeSpan AuditWait = TimeSpan.FromSeconds(10);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "The audit record of {Action} ({Outcome}) was not durable after {Seconds} s; answering while it stays queued")]
    private static partial void LogAuditSlow(ILogger logger, string action, string outcome, double seconds);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Error, Message = "The audit record of {Action} ({Outcome}) could not be written")]
    private static partial void LogAuditFailed(ILogger logger, Exception e, string action, string outcome);

    private sealed class PendingRecord(AccessMiddleware owner, HttpContext context, string action, string? target, string? permission)
    {
        public string? Reason { get; set; }

        public async Task WriteAsync()
        {
            var status = context.Response.StatusCode;
            var denied = status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden;
            if (!denied && !ChangesState(context.Request.Method))
            {
                return;
            }

            var extra = context.Features.Get<HttpAuditFeature>();
            var detail = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["method"] = context.Request.Method,
                ["status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            if (denied && permission is not null)
            {
                detail["permission"] = permission;
            }

            if (Reason is not null)
            {
                detail["reason"] = Reason;
            }

            foreach (var (k, v) in extra?.Detail ?? [])
            {
                detail[k] = v;
            }

            var outcome = denied ? AuditOutcomes.Denied : status < 400 ? AuditOutcomes.Success : AuditOutcomes.Failed;
            var e = new AuditEvent(
                action,
                extra?.Target ?? target,
                outcome,
                context.GetCaller(),
                Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier,
                owner._address.Of(context),
                detail);
            // Not the request's token: an aborted request is still recorded. The answer waits for the record to be
            // durable, but not forever: when storage is down the record stays queued (the writer keeps retrying) and
            // the caller is answered after AuditWait rather than hanging with the outage.
            using var wait = new CancellationTokenSource(AuditWait);
            try
            {
                await owner._audit.RecordAsync(e, wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (wait.IsCancellationRequested)
            {
                LogAuditSlow(owner._logger, action, outcome, AuditWait.TotalSeconds);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogAuditFailed(owner._logger, ex, action, outcome);
            }
        }
    }
}
