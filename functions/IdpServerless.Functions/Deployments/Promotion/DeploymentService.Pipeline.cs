using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Promotion;
using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Deployments;

/// <summary>
/// The promotion pipeline's side of the deployment service: starting an auto-promotion's deployment, pins after a
/// manual rollback, and the pipeline approval rules (distinct people, never the requester).
/// </summary>
public sealed partial class DeploymentService
{
    private PromotionStore Promotions => services.GetRequiredService<PromotionStore>();

    /// <summary>
    /// Starts the deployment of an auto-promotion. Its id is <c>dep-{promotionId}</c>: a repeated call finds it and
    /// starts nothing new. Refuses (without starting) when the stage is pinned after a manual rollback, frozen, or busy.
    /// </summary>
    public async Task<PromotionStartResult> StartPromotionAsync(PromotionPlan plan, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        // dep-{promotionId}; a start that failed before its orchestration existed (e.g. the host stopping under it) left a
        // record that never ran, and the next attempt takes the next id (-2, -3, ...): still deterministic, never twice.
        string? id = null;
        for (var attempt = 1; attempt <= 5 && id is null; attempt++)
        {
            var candidate = attempt == 1 ? "dep-" + plan.PromotionId : $"dep-{plan.PromotionId}-{attempt}";
            if (await store.GetAsync(candidate, ct).ConfigureAwait(false) is not { } existing)
            {
                id = candidate;
                continue;
            }

            var instance = await orchestrations.Client.GetInstanceAsync(candidate, false, ct).ConfigureAwait(false);
            if (instance is null && existing.Status == DeploymentStatuses.Failed && existing.Message?.StartsWith("could not start", StringComparison.Ordinal) == true)
            {
                continue;
            }

            if (instance is null && !DeploymentStatuses.IsFinished(existing.Status))
            {
                // The record was written and the process died before the orchestration was scheduled: schedule it now.
                await StartExistingAsync(plan, existing, ct).ConfigureAwait(false);
            }

            return new PromotionStartResult(PromotionStartOutcomes.Started, candidate, $"deployment {candidate} started");
        }

        if (id is null)
        {
            throw new InvalidOperationException($"The deployment of promotion {plan.PromotionId} failed to start 5 times.");
        }

        ComponentDelivery delivery;
        try
        {
            delivery = await resolver.ResolveAsync(plan.Component, "component", ct).ConfigureAwait(false);
        }
        catch (ProblemException e) when (e.Status is StatusCodes.Status404NotFound or StatusCodes.Status422UnprocessableEntity)
        {
            return new PromotionStartResult(PromotionStartOutcomes.Skipped, null, $"not promoted: {e.Detail ?? e.Title}");
        }

        if (delivery.Find(plan.To) is not { } env)
        {
            return new PromotionStartResult(PromotionStartOutcomes.Skipped, null, $"not promoted: {plan.To} is no longer an environment of {plan.Component}");
        }

        if (await Promotions.GetPinAsync(delivery.ComponentRef, env.Name, ct).ConfigureAwait(false) is { } pin &&
            (env.Pipeline?.Promotion?.AfterRollback != AfterRollback.Newer || plan.Version == pin.Version || plan.VerifiedFrom <= pin.At))
        {
            return new PromotionStartResult(PromotionStartOutcomes.Pinned, null,
                $"pinned after rollback by {pin.By}: {env.Name} was rolled back from {pin.Version} at {pin.At:yyyy-MM-dd HH:mm} UTC; unpin it or promote by hand");
        }

        if (FreezeCalendar.ActiveAt(env.Pipeline?.Freeze ?? [], time.GetUtcNow()) is { } freeze)
        {
            return new PromotionStartResult(PromotionStartOutcomes.Frozen, null, $"{env.Name} is frozen until {freeze.Until:yyyy-MM-dd HH:mm} UTC ({freeze.Reason})", freeze.Until);
        }

        var states = await store.GetEnvironmentsAsync(delivery.ComponentRef, ct).ConfigureAwait(false);
        if (states.FirstOrDefault(s => s.Environment == env.Name) is { CurrentVersion: { } running, ActiveDeploymentId: null } && running == plan.Version)
        {
            return new PromotionStartResult(PromotionStartOutcomes.Skipped, null, $"{env.Name} already runs {plan.Version}");
        }

        var caller = new Caller(plan.RequestedBy, "promotion pipeline", null, [], Channels.System, true);
        try
        {
            var accepted = await StartCoreAsync(DeploymentKinds.Promote, delivery, env, plan.Version, caller, "pipeline", $"auto-promoted from {plan.From} ({plan.PromotionId})", default, ct, fixedId: id).ConfigureAwait(false);
            return new PromotionStartResult(PromotionStartOutcomes.Started, accepted.DeploymentId, $"deployment {accepted.DeploymentId} started");
        }
        catch (ProblemException e) when (e.Status == StatusCodes.Status409Conflict)
        {
            return new PromotionStartResult(PromotionStartOutcomes.Busy, null, $"waiting for {(e.Extensions.TryGetValue("deploymentId", out var holder) ? holder : null) ?? "another release"} to finish in {env.Name}");
        }
    }

    private async Task StartExistingAsync(PromotionPlan plan, DeploymentRecord existing, CancellationToken ct)
    {
        var delivery = await resolver.ResolveAsync(plan.Component, "component", ct).ConfigureAwait(false);
        var env = delivery.Find(plan.To) ?? throw new InvalidOperationException($"{plan.To} vanished");
        var caller = new Caller(plan.RequestedBy, "promotion pipeline", null, [], Channels.System, true);
        var deploymentPlan = NewPlan(existing.Id, existing.Kind, delivery, env, existing.Version, caller, existing.Source, existing.Reason, default, null, existing.CreatedAt);
        try
        {
            await orchestrations.StartAsync(Orchestrations.DeploymentFunctions.Orchestrator, deploymentPlan, existing.Id,
                new Dictionary<string, string> { ["component"] = delivery.ComponentRef, ["environment"] = env.Name, ["kind"] = existing.Kind }, ct).ConfigureAwait(false);
        }
        catch (OrchestrationAlreadyRunningException)
        {
            // Started by a concurrent run meanwhile.
        }
    }

    /// <summary>The deployment plan for a new deployment, with the stage's pipeline rules (approvals, freeze, promotions out of it).</summary>
    private Orchestrations.DeploymentPlan NewPlan(string id, string kind, ComponentDelivery delivery, DeliveryEnvironment env, string version, Caller caller, string? source, string? reason,
        (string? Sha, DateTimeOffset? At) commit, string? sourceRepository, DateTimeOffset now)
    {
        var options = resolver.Options;
        var approvals = PipelineApprovals.For(env, kind, now);
        var triggers = kind != DeploymentKinds.Rollback &&
                       delivery.Environments.Any(e => e.Pipeline?.Promotion is { Auto: true } rule && string.Equals(rule.From, env.Name, StringComparison.OrdinalIgnoreCase));
        return new Orchestrations.DeploymentPlan(id, kind, delivery.ComponentRef, delivery.Name, delivery.Image, env, version, caller.UserRef, now, reason, source,
            (env.Protection.ApprovalRequired && kind != DeploymentKinds.Rollback) || approvals is not null, options.PollInterval, options.ApprovalTimeout, options.AnalysisWindow,
            options.PortalUrl, commit.Sha, commit.At, sourceRepository, approvals, triggers);
    }

    /// <summary>After a person started a deployment: a manual rollback pins the stage, a deploy or promotion by hand unpins it.</summary>
    private async Task AfterManualStartAsync(ComponentDelivery delivery, DeliveryEnvironment env, string kind, string? rolledBackFrom, Caller caller, string deploymentId, CancellationToken ct)
    {
        if (env.Pipeline?.Promotion is not { Auto: true })
        {
            return;
        }

        if (kind == DeploymentKinds.Rollback)
        {
            if (rolledBackFrom is not null)
            {
                await Promotions.PinAsync(new StagePin(delivery.ComponentRef, env.Name, rolledBackFrom, caller.UserRef, time.GetUtcNow(), deploymentId), ct).ConfigureAwait(false);
            }
        }
        else
        {
            await Promotions.UnpinAsync(delivery.ComponentRef, env.Name, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Unpins a stage pinned by a rollback, so auto-promotion into it resumes (the next verified version goes on).</summary>
    public async Task<bool> UnpinAsync(string component, string stage, Caller caller, CancellationToken ct)
    {
        var delivery = await resolver.ResolveAsync(component, "component", ct).ConfigureAwait(false);
        var env = ComponentDeliveryResolver.Environment(delivery, stage);
        await AuthorizeAsync(caller, Permissions.DeploymentCreate, delivery.ComponentRef, env.Name, "pipeline.unpin", ct).ConfigureAwait(false);
        var removed = await Promotions.UnpinAsync(delivery.ComponentRef, env.Name, ct).ConfigureAwait(false);
        await AuditAsync(caller, "pipeline.unpin", $"{delivery.ComponentRef}@{env.Name}", AuditOutcomes.Success, null, new Dictionary<string, string> { ["wasPinned"] = removed ? "true" : "false" }, ct).ConfigureAwait(false);
        return removed;
    }

    /// <summary>Approves the deployment waiting for approval in <paramref name="stage"/> (409 when none waits).</summary>
    public async Task<string> ApproveStageAsync(string component, string stage, string? comment, Caller caller, CancellationToken ct)
    {
        var delivery = await resolver.ResolveAsync(component, "component", ct).ConfigureAwait(false);
        var env = ComponentDeliveryResolver.Environment(delivery, stage);
        var state = (await store.GetEnvironmentsAsync(delivery.ComponentRef, ct).ConfigureAwait(false)).FirstOrDefault(s => s.Environment == env.Name);
        var waiting = state?.ActiveDeploymentId is { } active ? await store.GetAsync(active, ct).ConfigureAwait(false) : null;
        if (waiting is not { Status: DeploymentStatuses.WaitingForApproval or DeploymentStatuses.Pending })
        {
            throw ProblemException.Conflict($"Nothing waits for approval in {env.Name} of {delivery.ComponentRef}.");
        }

        await SendControlAsync(waiting.Id, DeploymentControls.Approve, comment, caller, ct).ConfigureAwait(false);
        return waiting.Id;
    }

    /// <summary>Under a pipeline approval policy, the requester never approves their own deployment and each person counts once.</summary>
    private static void CheckPipelineApproval(DeploymentRecord record, Caller caller)
    {
        if (record.Approval is not { } approval)
        {
            return;
        }

        if (string.Equals(record.RequestedBy, caller.UserRef, StringComparison.Ordinal))
        {
            throw ProblemException.Forbidden(Permissions.DeploymentApprove, $"{caller.UserRef} requested deployment {record.Id}: the requester cannot approve their own deployment.");
        }

        if (approval.ApprovedBy.Contains(caller.UserRef, StringComparer.Ordinal))
        {
            throw ProblemException.Conflict($"{caller.UserRef} has already approved deployment {record.Id}: {approval.Missing} more approval(s) from {approval.Describe()} needed.");
        }
    }
}
