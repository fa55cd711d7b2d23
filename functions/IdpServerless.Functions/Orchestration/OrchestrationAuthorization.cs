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
/// An orchestrator that a feature drives through its own API, which checks more than the generic orchestration API
/// can (who may approve a protected environment, who may switch traffic). Through the generic API, everything but
/// reading it needs <see cref="Permissions.OrchestrationAdmin"/>, so that <c>raiseEvent/approval</c> is no way around
/// the approver check.
/// </summary>
/// <param name="Name">The orchestrator's name.</param>
/// <param name="Api">Where callers should go instead, for the denial's message (e.g. <c>/api/deployments</c>).</param>
public sealed record ManagedOrchestrator(string Name, string Api);

/// <summary>
/// Default rule: reading needs <see cref="Permissions.OrchestrationRead"/>, everything else
/// <see cref="Permissions.OrchestrationControl"/> — or <see cref="Permissions.OrchestrationAdmin"/> for a
/// <see cref="ManagedOrchestrator"/> — decided by <see cref="IAccessPolicy"/> for the instance's <c>component</c>
/// label (ownership) and <c>environment</c> label. Without a registered policy (before identity is configured) every
/// request is allowed, as the endpoints' own permission metadata is then not enforced either.
/// </summary>
public sealed class DefaultOrchestrationAuthorizer(IServiceProvider services, IEnumerable<ManagedOrchestrator> managed) : IOrchestrationAuthorizer
{
    private readonly Dictionary<string, ManagedOrchestrator> _managed = managed
        .GroupBy(m => m.Name, StringComparer.OrdinalIgnoreCase)
        .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);

    public async ValueTask<AccessDecision> AuthorizeAsync(Caller caller, OrchestrationAccessRequest request, CancellationToken cancellationToken)
    {
        var feature = request.OrchestratorName is { } name && request.Operation != OrchestrationOperation.Read
            ? _managed.GetValueOrDefault(name)
            : null;
        var permission = request.Operation == OrchestrationOperation.Read ? Permissions.OrchestrationRead
            : feature is not null ? Permissions.OrchestrationAdmin
            : Permissions.OrchestrationControl;
        if (services.GetService<IAccessPolicy>() is not { } policy)
        {
            return AccessDecision.Allow(permission);
        }

        var resource = new AccessResource(request.Labels.GetValueOrDefault("component"), request.Labels.GetValueOrDefault("environment"));
        var decision = await policy.DecideAsync(caller, permission, resource, cancellationToken);
        return decision.Allowed || feature is null
            ? decision
            : AccessDecision.Deny(permission,
                $"'{feature.Name}' orchestrations are controlled through {feature.Api}, which checks approvers and release control; " +
                $"the generic orchestration API needs '{permission}' (platform-admin) to {request.Operation.ToString().ToLowerInvariant()} them.");
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
