using System.Diagnostics;
using System.Text.Json;
using IdpServerless.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Hosting.Problems;

/// <summary>
/// Turns every error into a ProblemDetails: a caller's mistake gets its 4xx naming the field, our own failure a 500
/// with a correlation id and never a stack trace.
/// </summary>
public sealed partial class ProblemMiddleware(RequestDelegate next, ILogger<ProblemMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && !(e is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
        {
            if (e is IUpstreamFailure upstream)
            {
                LogUpstream(logger, upstream.Upstream, context.Request.Method, context.Request.Path, e.Message);
                await WriteAsync(context, Upstream(context, upstream, e.Message), "Retry-After").ConfigureAwait(false);
                return;
            }

            var problem = Map(e, context);
            // A ProblemException is a deliberate answer (a 503 while the catalog loads, a feature not configured), not an unhandled error.
            if (problem.Status >= 500 && e is not ProblemException)
            {
                LogUnhandled(logger, e, context.Request.Method, context.Request.Path, context.TraceIdentifier);
            }

            // A 503 that said when to come back (a full queue) keeps its Retry-After.
            await WriteAsync(context, problem, problem.Status == StatusCodes.Status503ServiceUnavailable ? ["Retry-After"] : []).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes <paramref name="problem"/> as <c>application/problem+json</c>, replacing whatever the response held except
    /// the headers named in <paramref name="keepHeaders"/> (e.g. <c>Allow</c> on a 405).
    /// </summary>
    public static async Task WriteAsync(HttpContext context, ProblemDetails problem, params string[] keepHeaders)
    {
        problem.Instance ??= context.Request.Path;
        problem.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
        var kept = keepHeaders.Select(h => (h, context.Response.Headers[h])).Where(k => k.Item2.Count > 0).ToList();
        context.Response.Clear();
        foreach (var (name, value) in kept)
        {
            context.Response.Headers[name] = value;
        }

        context.Response.StatusCode = problem.Status ?? 500;
        await context.Response.WriteAsJsonAsync(problem, problem.GetType(), (JsonSerializerOptions?)null, "application/problem+json", context.RequestAborted).ConfigureAwait(false);
    }

    private static ProblemDetails Map(Exception e, HttpContext context) => e switch
    {
        ProblemException p => p.ToProblemDetails(context.Request.Path),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            ProblemException.TooLarge("The request body is larger than this function accepts.").ToProblemDetails(),
        BadHttpRequestException b => Problem(b.StatusCode, ProblemTypes.BadRequest, "The request is malformed.", b.Message),
        JsonException j => ProblemException.BadRequest(string.IsNullOrEmpty(j.Path) ? "body" : j.Path.TrimStart('$', '.'), "is not valid JSON: " + j.Message).ToProblemDetails(),
        StorageThrottledException => Problem(503, ProblemTypes.Unavailable, "Storage is busy; try again shortly.", null),
        _ => Problem(500, ProblemTypes.Internal, "Something went wrong on our side.", "The error was logged with this request's trace id."),
    };

    /// <summary>
    /// A dependency's failure: 503 with its wait as <c>Retry-After</c>, 504 when it did not answer, else 502; the body
    /// names the service (<c>upstream</c>) and its status (<c>upstreamStatus</c>) when it answered.
    /// </summary>
    public static ProblemDetails Upstream(HttpContext context, IUpstreamFailure failure, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(failure);
        var (status, type, title) = failure switch
        {
            { RetryAfter: not null } => (StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, $"{failure.Upstream} is rate limiting the portal; try again later."),
            { TimedOut: true } => (StatusCodes.Status504GatewayTimeout, ProblemTypes.Unavailable, $"{failure.Upstream} did not answer in time."),
            _ => (StatusCodes.Status502BadGateway, ProblemTypes.Upstream, $"{failure.Upstream} refused or failed the request."),
        };
        if (failure.RetryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var problem = Problem(status, type, title, detail);
        problem.Extensions["upstream"] = failure.Upstream;
        if (failure.UpstreamStatus is { } upstreamStatus)
        {
            problem.Extensions["upstreamStatus"] = upstreamStatus;
        }

        return problem;
    }

    private static ProblemDetails Problem(int status, string type, string title, string? detail) =>
        new() { Status = status, Type = type, Title = title, Detail = detail };

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "{Upstream} failed {Method} {Path}: {Reason}")]
    private static partial void LogUpstream(ILogger logger, string upstream, string method, string path, string reason);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path} (request {RequestId})")]
    private static partial void LogUnhandled(ILogger logger, Exception e, string method, string path, string requestId);
}
