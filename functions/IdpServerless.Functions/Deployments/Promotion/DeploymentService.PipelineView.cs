using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Promotion;

namespace IdpServerless.Functions.Deployments;

/// <summary>What waits to enter a stage and why (<see cref="State"/>: a <see cref="PromotionStatuses"/> value, or <c>AwaitingApproval</c>, <c>Deploying</c>, <c>AwaitingVerification</c>).</summary>
public sealed record PipelineWaiting(
    string Version,
    string State,
    string Reason,
    DateTimeOffset? Until,
    string? PromotionId,
    string? DeploymentId,
    int? ApprovalsMissing = null,
    IReadOnlyList<string>? ApprovedBy = null);

/// <summary>A stage's promotion rule as the pipeline view shows it.</summary>
public sealed record PromotionRuleView(bool Auto, string From, string? Soak, IReadOnlyList<string> Analysis, string AfterRollback);

/// <summary>One stage of a component's pipeline: its rules, what runs there, what waits to enter it and why, and its promotion history (newest first).</summary>
public sealed record PipelineStage(
    string Name,
    int Order,
    PromotionRuleView? Promotion,
    ApprovalPolicy? Approvals,
    IReadOnlyList<FreezeWindow> Freeze,
    ActiveFreeze? FrozenNow,
    string? CurrentVersion,
    string? CurrentDeploymentId,
    StagePin? Pin,
    PipelineWaiting? Waiting,
    IReadOnlyList<PromotionRecord> History);

/// <summary>A component's promotion pipeline (<c>GET /api/components/{ns}/{name}/pipeline</c>).</summary>
public sealed record PipelineView(string Component, IReadOnlyList<PipelineStage> Stages);

public sealed partial class DeploymentService
{
    private const int HistoryPerStage = 10;

    /// <summary>Every stage in promotion order with the version waiting to enter it and why.</summary>
    public async Task<PipelineView> GetPipelineAsync(string component, CancellationToken ct)
    {
        var delivery = await resolver.ResolveAsync(component, "component", ct).ConfigureAwait(false);
        var statesTask = store.GetEnvironmentsAsync(delivery.ComponentRef, ct);
        var promotionsTask = Promotions.ListAsync(delivery.ComponentRef, ct);
        var states = (await statesTask.ConfigureAwait(false)).ToDictionary(s => s.Environment, StringComparer.Ordinal);
        var (promotions, pins) = await promotionsTask.ConfigureAwait(false);
        var active = new Dictionary<string, DeploymentRecord>(StringComparer.Ordinal);
        foreach (var state in states.Values.Where(s => s.ActiveDeploymentId is not null))
        {
            if (await store.GetAsync(state.ActiveDeploymentId!, ct).ConfigureAwait(false) is { } r && !DeploymentStatuses.IsFinished(r.Status))
            {
                active[state.Environment] = r;
            }
        }

        var now = time.GetUtcNow();
        var stages = new List<PipelineStage>();
        foreach (var env in delivery.Environments)
        {
            states.TryGetValue(env.Name, out var state);
            pins.TryGetValue(env.Name, out var pin);
            var history = promotions.Where(p => p.To == env.Name).Take(HistoryPerStage).ToList();
            var rule = env.Pipeline?.Promotion;
            var view = rule is null ? null : new PromotionRuleView(rule.Auto, rule.From, rule.Soak > TimeSpan.Zero ? Durations.Format(rule.Soak) : null, rule.Analysis?.Templates ?? [], rule.AfterRollback);
            var waiting = Waiting(env, rule, state, active, history, pin);
            stages.Add(new PipelineStage(env.Name, env.Order, view, env.Pipeline?.Approvals, env.Pipeline?.Freeze ?? [], FreezeCalendar.ActiveAt(env.Pipeline?.Freeze ?? [], now),
                state?.CurrentVersion, state?.CurrentDeploymentId, pin, waiting, history));
        }

        return new PipelineView(delivery.ComponentRef, stages);
    }

    private static PipelineWaiting? Waiting(DeliveryEnvironment env, PromotionRule? rule, EnvironmentState? state, IReadOnlyDictionary<string, DeploymentRecord> active, IReadOnlyList<PromotionRecord> history, StagePin? pin)
    {
        if (active.TryGetValue(env.Name, out var deploying))
        {
            return deploying is { Status: DeploymentStatuses.WaitingForApproval or DeploymentStatuses.Pending, Approval: { } approval }
                ? new PipelineWaiting(deploying.Version, "AwaitingApproval", deploying.Message ?? PipelineApprovals.Waiting(new ApprovalPolicy(approval.Required, approval.From), approval.ApprovedBy),
                    null, null, deploying.Id, approval.Missing, approval.ApprovedBy)
                : new PipelineWaiting(deploying.Version, deploying.Status == DeploymentStatuses.WaitingForApproval ? "AwaitingApproval" : "Deploying",
                    deploying.Message ?? $"{deploying.Kind} {deploying.Status}", null, null, deploying.Id);
        }

        if (history.FirstOrDefault(p => !PromotionStatuses.IsFinished(p.Status)) is { } open)
        {
            return new PipelineWaiting(open.Version, open.Status, open.Message ?? open.Status, open.WaitingUntil, open.Id, null);
        }

        if (rule is { Auto: true } && active.TryGetValue(rule.From, out var upstream))
        {
            return new PipelineWaiting(upstream.Version, "AwaitingVerification", $"awaiting verification: {upstream.Version} is being deployed to {rule.From}", null, null, upstream.Id);
        }

        if (history.FirstOrDefault() is { Status: PromotionStatuses.VerificationFailed or PromotionStatuses.Pinned } last && last.Version != state?.CurrentVersion)
        {
            return new PipelineWaiting(last.Version, last.Status, last.Message ?? last.Status, null, last.Id, null);
        }

        return pin is null ? null
            : new PipelineWaiting(pin.Version, PromotionStatuses.Pinned, $"pinned after rollback by {pin.By}: {pin.Version} is not promoted here again until someone promotes by hand or unpins", null, null, pin.DeploymentId);
    }
}
