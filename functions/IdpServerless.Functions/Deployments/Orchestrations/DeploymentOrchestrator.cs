using IdpServerless.Hosting.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Notifications;

namespace IdpServerless.Functions.Deployments.Orchestrations;

/// <summary>
/// A deployment, rollback or promotion of one version to one environment: read what runs now, wait for approval when
/// the environment is protected, then run the environment's strategy (rolling, blue/green, canary) and record the
/// outcome. Deterministic orchestrator code: all effects happen in activities.
/// </summary>
public sealed class DeploymentOrchestrator
{
    /// <summary>The orchestrator function (the host's DurableTask extension, or standalone mode's Durable Task worker, runs it).</summary>
    [Function(DeploymentFunctions.Orchestrator)]
    [OrchestrationInput(typeof(DeploymentPlan))]
    public static Task<DeploymentRecord> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new DeploymentOrchestrator().RunAsync(context, context.GetInput<DeploymentPlan>() ?? throw new InvalidOperationException("The orchestration has no input."));
    }

    public async Task<DeploymentRecord> RunAsync(TaskOrchestrationContext context, DeploymentPlan plan)
    {
        var run = new ReleaseRun(context, plan, Initial(plan));
        try
        {
            await run.ReadCommitTimeAsync();
            run.StartStep("validate");
            var previous = await run.ReadDesiredStateAsync();
            run.FinishStep("Succeeded", previous is null ? "first deployment to this environment" : $"{previous.ServingVersion} runs now");
            // A protected deployment goes from Pending straight to WaitingForApproval, so approvals always apply until decided.
            if (plan.RequireApproval)
            {
                run.WaitStep("approval", plan.Approvals?.Reason ?? $"waiting for approval by {Approvers(plan)}");
                await run.SaveAsync(DeploymentStatuses.WaitingForApproval, plan.Approvals?.Reason ?? $"{plan.Environment.Name} is protected: waiting for approval by {Approvers(plan)}", previousVersion: previous?.ServingVersion);
            }
            else
            {
                await run.SaveAsync(DeploymentStatuses.Running, previousVersion: previous?.ServingVersion);
            }

            await run.NotifyAsync(NotificationEvents.DeploymentStarted, $"{plan.App} {plan.Version} → {plan.Environment.Name} started", "info");
            if (plan.RequireApproval && await WaitForApprovalAsync(run) is { } stopped)
            {
                return await FinishAsync(run, stopped);
            }

            var window = plan.AnalysisWindow;
            var result = WavesFlow.IsWaved(plan) ? await WavesFlow.RunAsync(run, previous, window) : (plan.Kind, plan.Environment.Strategy.Type) switch
            {
                (_, StrategyTypes.BlueGreen) => await BlueGreenFlow.RunAsync(run, previous, window),
                (DeploymentKinds.Rollback, _) => await RollingFlow.RunAsync(run, previous),
                (_, StrategyTypes.Canary) => await CanaryFlow.RunAsync(run, previous, window),
                _ => await RollingFlow.RunAsync(run, previous),
            };
            return await FinishAsync(run, result);
        }
        catch (TaskFailedException e)
        {
            run.FinishStep("Failed", e.Message);
            return await FinishAsync(run, new FlowResult(DeploymentStatuses.Failed, $"{e.TaskName} failed: {e.FailureDetails.ErrorMessage}"));
        }
    }

    private static async Task<FlowResult?> WaitForApprovalAsync(ReleaseRun run)
    {
        var plan = run.Plan;
        await run.NotifyAsync(NotificationEvents.ApprovalNeeded, $"Approve {plan.App} {plan.Version} → {plan.Environment.Name}?", "warning",
            $"{plan.RequestedBy} asks to deploy {plan.Version} of {plan.Component} to {plan.Environment.Name}.");
        if (plan.Approvals is not null)
        {
            return await Promotion.PipelineApprovals.WaitAsync(run);
        }

        var deadline = run.Now + plan.ApprovalTimeout;
        while (true)
        {
            var control = await run.NextControlAsync(deadline);
            var comment = control?.Comment is { } c ? $": {c}" : string.Empty;
            switch (control?.Action)
            {
                case null:
                    run.FinishStep("Failed", "no approval in time");
                    return new FlowResult(DeploymentStatuses.Aborted, $"approval expired after {Durations.Format(plan.ApprovalTimeout)}");
                case DeploymentControls.Approve:
                    run.FinishStep("Succeeded", $"approved by {control.By}{comment}");
                    await run.SaveAsync(DeploymentStatuses.Running, $"approved by {control.By}");
                    return null;
                case DeploymentControls.Reject or DeploymentControls.Abort:
                    run.FinishStep("Failed", $"{(control.Action == DeploymentControls.Reject ? "rejected" : "aborted")} by {control.By}{comment}");
                    return new FlowResult(DeploymentStatuses.Aborted, $"{(control.Action == DeploymentControls.Reject ? "rejected" : "aborted")} by {control.By}{comment}");
            }
        }
    }

    private static string Approvers(DeploymentPlan plan) =>
        plan.Environment.Protection.Approvers.Count == 0 ? "anyone allowed to approve" : string.Join(", ", plan.Environment.Protection.Approvers);

    private static async Task<DeploymentRecord> FinishAsync(ReleaseRun run, FlowResult result)
    {
        var plan = run.Plan;
        await run.SaveAsync(result.Status, result.Message);
        if (plan.TriggersPromotion && result.Status == DeploymentStatuses.Succeeded)
        {
            await Promotion.PromotionTrigger.AfterSuccessAsync(run);
        }

        var (type, severity) = result.Status switch
        {
            DeploymentStatuses.Succeeded => (NotificationEvents.DeploymentSucceeded, "info"),
            DeploymentStatuses.RolledBack => (NotificationEvents.DeploymentRolledBack, "warning"),
            _ => (NotificationEvents.DeploymentFailed, plan.Environment.Name.StartsWith("prod", StringComparison.Ordinal) && result.Status == DeploymentStatuses.Failed ? "critical" : "warning"),
        };
        if (result.Status != DeploymentStatuses.RolledBack || plan.Environment.Strategy.Type != StrategyTypes.Canary)
        {
            await run.NotifyAsync(type, $"{plan.App} {plan.Version} → {plan.Environment.Name}: {result.Status}", severity, result.Message);
        }

        return run.Record;
    }

    public static DeploymentRecord Initial(DeploymentPlan plan) => new(
        plan.DeploymentId,
        plan.Kind,
        plan.Component,
        plan.Environment.Name,
        plan.Version,
        null,
        new StrategySummary(plan.Environment.Strategy.Type, plan.Environment.Strategy.Steps.Select(s => s.Describe()).ToList()),
        DeploymentStatuses.Pending,
        plan.RequestedBy,
        plan.RequestedAt,
        plan.RequestedAt,
        [],
        null,
        null,
        plan.Reason,
        plan.Source,
        [],
        null,
        plan.SourceCommit,
        plan.CommittedAt,
        Approval: plan.Approvals is { } a ? new Promotion.ApprovalState(a.Required, a.From, [], a.Reason) : null);
}
