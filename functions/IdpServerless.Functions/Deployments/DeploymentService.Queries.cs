using IdpServerless.Hosting.Durable;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Orchestrations;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Deployments;

/// <summary>The running version and the active release of an environment.</summary>
public sealed record EnvironmentCurrent(string Version, string DeploymentId, string Status, string? By, DateTimeOffset? At);

/// <summary>One environment as <c>GET /api/components/{ns}/{name}/environments</c> shows it.</summary>
public sealed record EnvironmentView(
    string Name,
    int Order,
    IReadOnlyList<ClusterTarget> Clusters,
    StrategySummary Strategy,
    bool Protected,
    IReadOnlyList<string> Approvers,
    string Repository,
    string Path,
    EnvironmentCurrent? Current,
    EnvironmentCurrent? Active);

public sealed partial class DeploymentService
{
    public async Task SendControlAsync(string deploymentId, string control, string? comment, Caller caller, CancellationToken cancellationToken)
    {
        if (!DeploymentControls.All.Contains(control))
        {
            throw ProblemException.BadRequest("action", $"'{control}' is not one of {string.Join(", ", DeploymentControls.All)}.");
        }

        if (comment is { Length: > 1000 })
        {
            throw ProblemException.Validation("comment", "must be at most 1000 characters");
        }

        var record = await store.GetAsync(deploymentId, cancellationToken).ConfigureAwait(false)
                     ?? throw ProblemException.NotFound($"Deployment '{deploymentId}' does not exist.");
        if (DeploymentStatuses.IsFinished(record.Status))
        {
            throw ProblemException.Gone($"Deployment {deploymentId} has finished ({record.Status}).");
        }

        var isApproval = control is DeploymentControls.Approve or DeploymentControls.Reject;
        var permission = isApproval ? Permissions.DeploymentApprove : Permissions.ReleaseControl;
        await AuthorizeAsync(caller, permission, record.Component, record.Environment, $"deployment.{control}", cancellationToken).ConfigureAwait(false);
        var awaitsApproval = record.Status == DeploymentStatuses.WaitingForApproval;
        if (isApproval)
        {
            // A protected deployment that has not reached its approval step yet may be approved already: the event waits for it.
            if (control == DeploymentControls.Approve)
            {
                CheckPipelineApproval(record, caller);
            }

            var isProtected = await CheckApproverAsync(record, caller, cancellationToken).ConfigureAwait(false);
            awaitsApproval |= record.Status == DeploymentStatuses.Pending && isProtected;
        }

        var release = record.Strategy.Type is StrategyTypes.Canary or StrategyTypes.BlueGreen;
        var applicable = control switch
        {
            DeploymentControls.Approve or DeploymentControls.Reject => awaitsApproval,
            DeploymentControls.Pause => release && record.Status == DeploymentStatuses.Running,
            DeploymentControls.Resume => record.Status == DeploymentStatuses.Paused,
            DeploymentControls.Promote or DeploymentControls.PromoteFull => release && record.Status is DeploymentStatuses.Running or DeploymentStatuses.Paused,
            _ => true,
        };
        if (!applicable)
        {
            throw ProblemException.Conflict($"'{control}' does not apply to deployment {deploymentId} now: it is {record.Status} ({record.Strategy.Type}).");
        }

        try
        {
            await orchestrations.RaiseEventAsync(deploymentId, ControlEvent.EventName, new ControlEvent(control, caller.UserRef, comment), cancellationToken).ConfigureAwait(false);
        }
        catch (OrchestrationNotFoundException)
        {
            throw ProblemException.NotFound($"Deployment '{deploymentId}' has no running orchestration.");
        }
        catch (OrchestrationFinishedException)
        {
            throw ProblemException.Gone($"Deployment {deploymentId} has finished.");
        }

        await AuditAsync(caller, $"deployment.{control}", $"{record.Component}@{record.Environment}", AuditOutcomes.Success, deploymentId,
            new Dictionary<string, string> { ["deploymentId"] = deploymentId, ["comment"] = comment ?? string.Empty }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<DeploymentSummary?> GetSummaryAsync(string deploymentId, CancellationToken cancellationToken) =>
        await store.GetAsync(deploymentId, cancellationToken).ConfigureAwait(false) is { } r
            ? new DeploymentSummary(r.Id, r.Component, r.Environment, r.Version, r.Status, r.RequestedBy, r.CreatedAt, r.Message)
            : null;

    public async Task<IReadOnlyList<EnvironmentSummary>> GetEnvironmentsAsync(string component, CancellationToken cancellationToken) =>
        (await GetEnvironmentViewsAsync(component, cancellationToken).ConfigureAwait(false))
        .Select(v => new EnvironmentSummary(v.Name, v.Order, v.Protected, v.Strategy.Type, v.Current?.Version, v.Active?.Status ?? v.Current?.Status, v.Active?.DeploymentId ?? v.Current?.DeploymentId))
        .ToList();

    /// <summary>Every environment with what runs there and the release under way, in promotion order.</summary>
    public async Task<IReadOnlyList<EnvironmentView>> GetEnvironmentViewsAsync(string component, CancellationToken cancellationToken)
    {
        var delivery = await resolver.ResolveAsync(component, "component", cancellationToken).ConfigureAwait(false);
        var states = (await store.GetEnvironmentsAsync(delivery.ComponentRef, cancellationToken).ConfigureAwait(false)).ToDictionary(s => s.Environment, StringComparer.Ordinal);
        var views = new List<EnvironmentView>();
        foreach (var env in delivery.Environments)
        {
            states.TryGetValue(env.Name, out var state);
            var current = state?.CurrentVersion is { } v ? new EnvironmentCurrent(v, state.CurrentDeploymentId!, DeploymentStatuses.Succeeded, state.CurrentBy, state.CurrentAt) : null;
            EnvironmentCurrent? active = null;
            if (state?.ActiveDeploymentId is { } a && await store.GetAsync(a, cancellationToken).ConfigureAwait(false) is { } r && !DeploymentStatuses.IsFinished(r.Status))
            {
                active = new EnvironmentCurrent(r.Version, r.Id, r.Status, r.RequestedBy, r.UpdatedAt);
            }

            views.Add(new EnvironmentView(env.Name, env.Order, env.Clusters, new StrategySummary(env.Strategy.Type, env.Strategy.Steps.Select(s => s.Describe()).ToList()),
                env.Protection.ApprovalRequired || env.Pipeline?.Approvals is not null, env.Pipeline?.Approvals?.From ?? env.Protection.Approvers,
                env.DesiredState.Repository.ToString(), env.DesiredState.Path, current, active));
        }

        return views;
    }

    public Task<DeploymentRecord?> GetAsync(string deploymentId, CancellationToken cancellationToken) => store.GetAsync(deploymentId, cancellationToken);

    public async Task<(IReadOnlyList<DeploymentRecord> Items, string? NextCursor)> ListAsync(string? component, string? environment, int limit, string? cursor, CancellationToken cancellationToken)
    {
        string? componentRef = null;
        if (component is not null)
        {
            componentRef = ComponentRefs.Normalize(component) ?? throw ProblemException.Validation("component", "must be a component name or ref");
        }

        if (limit is < 1 or > 200)
        {
            throw ProblemException.Validation("limit", "must be from 1 to 200");
        }

        return await store.ListAsync(componentRef, environment, null, limit, cursor, cancellationToken).ConfigureAwait(false);
    }

    // Protected environments may name who approves: users, groups, or roles (roles are checked by the access policy).
    // Returns whether the environment is protected.
    private async Task<bool> CheckApproverAsync(DeploymentRecord record, Caller caller, CancellationToken ct)
    {
        var delivery = await resolver.ResolveAsync(record.Component, "component", ct).ConfigureAwait(false);
        var protection = delivery.Find(record.Environment)?.Protection;
        var approvers = record.Approval?.From ?? protection?.Approvers ?? [];
        var named = approvers.Where(a => !a.StartsWith("role:", StringComparison.Ordinal)).ToList();
        if (named.Count == 0 || named.Contains(caller.UserRef) || caller.Groups.Any(named.Contains))
        {
            return protection?.ApprovalRequired == true || record.Approval is not null;
        }

        await AuditAsync(caller, "deployment.approve", $"{record.Component}@{record.Environment}", AuditOutcomes.Denied, record.Id,
            new Dictionary<string, string> { ["approvers"] = string.Join(",", approvers) }, ct).ConfigureAwait(false);
        throw ProblemException.Forbidden(Permissions.DeploymentApprove, $"{record.Environment} of {record.Component} is approved by {string.Join(", ", approvers)} only.");
    }
}
