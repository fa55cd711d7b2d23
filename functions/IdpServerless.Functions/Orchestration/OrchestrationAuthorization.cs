using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Orchestration;

/// <summary>What a caller asks to do with orchestrations.</summary>
public enum OrchestrationOperation
{
    Start,
    Read,
    RaiseEvent,
    Terminate,
    Suspend,
    Resume,
    Purge,
}

/// <summary>One request to authorize: the operation, the orchestrator, the instance's labels and, for events, the event name.</summary>
/// <param name="Operation">What is asked.</param>
/// <param name="OrchestratorName">The orchestrator (null for a query not restricted to one).</param>
/// <param name="InstanceId">The instance, when there is one.</param>
/// <param name="Labels">Its correlation labels (<c>component</c>, <c>environment</c>, ...).</param>
/// <param name="EventName">The event for <see cref="OrchestrationOperation.RaiseEvent"/>.</param>
public sealed record OrchestrationAccessRequest(
    OrchestrationOperation Operation,
    string? OrchestratorName,
    string? InstanceId,
    IReadOnlyDictionary<string, string> Labels,
    string? EventName = null);

/// <summary>
/// The hook the management API consults before every operation, so features decide who may start what and raise which
/// event (e.g. only approvers may raise <c>approve</c> on a deployment to prod). Register your own to replace the default.
/// </summary>
public interface IOrchestrationAuthorizer
{
    ValueTask<AccessDecision> AuthorizeAsync(Caller caller, OrchestrationAccessRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// Default rule: reading needs <see cref="Permissions.OrchestrationRead"/>, everything else
/// <see cref="Permissions.OrchestrationControl"/>, decided by <see cref="IAccessPolicy"/> for the instance's
/// <c>component</c> label (ownership) and <c>environment</c> label. Without a registered policy (before identity is
/// configured) every request is allowed, as the endpoints' own permission metadata is then not enforced either.
/// </summary>
public sealed class DefaultOrchestrationAuthorizer(IServiceProvider services) : IOrchestrationAuthorizer
{
    public async ValueTask<AccessDecision> AuthorizeAsync(Caller caller, OrchestrationAccessRequest request, CancellationToken cancellationToken)
    {
        var permission = request.Operation == OrchestrationOperation.Read ? Permissions.OrchestrationRead : Permissions.OrchestrationControl;
        if (services.GetService<IAccessPolicy>() is not { } policy)
        {
            return AccessDecision.Allow(permission);
        }

        var resource = new AccessResource(request.Labels.GetValueOrDefault("component"), request.Labels.GetValueOrDefault("environment"));
        return await policy.DecideAsync(caller, permission, resource, cancellationToken);
    }
}

internal static class OrchestrationAccess
{
    /// <summary>Throws 403 ProblemDetails unless the authorizer allows the request.</summary>
    public static async Task DemandAsync(this IOrchestrationAuthorizer authorizer, HttpContext http, OrchestrationAccessRequest request)
    {
        var decision = await authorizer.AuthorizeAsync(http.GetCaller(), request, http.RequestAborted);
        if (!decision.Allowed)
        {
            throw ProblemException.Forbidden(decision.Permission, decision.Reason ?? $"Not allowed to {request.Operation} this orchestration.");
        }
    }
}
