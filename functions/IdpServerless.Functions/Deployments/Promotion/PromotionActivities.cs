using IdpServerless.Functions.Deployments.Orchestrations;
using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Problems;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace IdpServerless.Functions.Deployments.Promotion;

/// <summary>The deployment orchestrator's hook: after a successful deployment, schedule the promotions out of its stage.</summary>
public static class PromotionTrigger
{
    private static readonly TaskOptions Retried = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(20)));

    /// <summary>
    /// An activity of the deployment's own orchestration, after its record is saved: if the process dies right after
    /// the deployment finished, the orchestration replays to here and schedules it then, so no promotion is lost.
    /// </summary>
    /// <remarks>
    /// A schedule that fails after its retries must not turn the succeeded deployment into a failed one: it is recorded
    /// as a failed <c>promote</c> step of the deployment instead (the deployment stays Succeeded; promote by hand).
    /// </remarks>
    public static async Task AfterSuccessAsync(ReleaseRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        try
        {
            await run.Context.CallActivityAsync<int>(PromotionFunctions.Schedule, run.Record, Retried);
        }
        catch (TaskFailedException e)
        {
            run.StartStep("promote", "scheduling the promotions out of this stage");
            run.FinishStep("Failed", $"could not schedule promotions: {e.FailureDetails.ErrorMessage}");
            await run.SaveAsync();
        }
    }
}

/// <summary>
/// Starts one promotion orchestration per stage that auto-promotes from the finished deployment's stage, under the
/// deterministic id <c>promo-{deploymentId}-{stage}</c>. The activity runs at least once: an id that already has an
/// instance (running or finished) is left alone, and the task hub refuses a second start of a running one.
/// </summary>
public sealed partial class SchedulePromotionsActivity(ComponentDeliveryResolver resolver, PromotionStore promotions, OrchestrationInstances orchestrations, ILogger<SchedulePromotionsActivity> logger)
{
    [Function(PromotionFunctions.Schedule)]
    public async Task<int> RunAsync([ActivityTrigger] DeploymentRecord input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Model.ComponentDelivery delivery;
        try
        {
            delivery = await resolver.ResolveAsync(input.Component, "component", CancellationToken.None).ConfigureAwait(false);
        }
        catch (ProblemException e)
        {
            // The component left the catalog or its annotation broke since: nothing to promote, and nothing to retry.
            LogNoPipeline(logger, input.Component, e.Detail ?? e.Title);
            return 0;
        }

        var from = delivery.Find(input.Environment);
        var started = 0;
        foreach (var env in delivery.Environments.Where(e => e.Pipeline?.Promotion is { Auto: true } rule && string.Equals(rule.From, input.Environment, StringComparison.OrdinalIgnoreCase)))
        {
            var id = PromotionStore.IdFor(input.Id, env.Name);
            if (from is null || await orchestrations.Client.GetInstanceAsync(id, false, CancellationToken.None).ConfigureAwait(false) is not null)
            {
                continue;
            }

            var rule = env.Pipeline!.Promotion!;
            var options = resolver.Options;
            var plan = new PromotionPlan(id, delivery.ComponentRef, delivery.Name, input.Id, from.Name, env.Name, input.Version, input.RequestedBy,
                input.FinishedAt ?? input.UpdatedAt, rule, env.Pipeline.Freeze,
                from.Clusters.Count > 0 ? from.Clusters[0].Namespace : delivery.Name, from.Clusters.Select(c => c.Name).ToList(),
                rule.Analysis?.Templates.Select(t => env.Strategy.Metrics[t]).ToList() ?? [], options.AnalysisWindow, options.PollInterval, options.ApprovalTimeout);
            await promotions.SaveAsync(PromotionOrchestrator.Initial(plan, input.FinishedAt ?? input.UpdatedAt), CancellationToken.None).ConfigureAwait(false);
            try
            {
                var labels = new Dictionary<string, string> { ["component"] = delivery.ComponentRef, ["environment"] = env.Name, ["kind"] = "promotion" };
                await orchestrations.StartAsync(PromotionFunctions.Orchestrator, plan, id, labels, CancellationToken.None).ConfigureAwait(false);
                started++;
            }
            catch (OrchestrationAlreadyRunningException)
            {
                // A second run of this activity raced the first: that one started it.
            }
        }

        return started;
    }

    [LoggerMessage(EventId = 6301, Level = LogLevel.Information, Message = "No promotions after a deployment of {Component}: {Reason}")]
    private static partial void LogNoPipeline(ILogger logger, string component, string reason);
}

/// <summary>Stores a promotion's record (newer-wins: safe to repeat).</summary>
public sealed class SavePromotionActivity(PromotionStore store)
{
    [Function(PromotionFunctions.Save)]
    public async Task<bool> RunAsync([ActivityTrigger] PromotionRecord input)
    {
        await store.SaveAsync(input, CancellationToken.None).ConfigureAwait(false);
        return true;
    }
}

/// <summary>What the source check found: whether the version still runs in the stage before, and the time it was checked.</summary>
public sealed record SourceCheck(bool Current, DateTimeOffset CheckedAt);

/// <summary>
/// Whether the version still runs in the stage it is promoted from (the deployment that verified it is still the
/// current one there), and the wall-clock time: a durable timer may fire up to a second early while the orchestration's
/// clock already says it is due, so the soak is measured against this time.
/// </summary>
public sealed class CheckPromotionSourceActivity(DeploymentStore deployments, TimeProvider time)
{
    [Function(PromotionFunctions.CheckSource)]
    public async Task<SourceCheck> RunAsync([ActivityTrigger] PromotionPlan input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var envs = await deployments.GetEnvironmentsAsync(input.Component, CancellationToken.None).ConfigureAwait(false);
        return new SourceCheck(envs.FirstOrDefault(e => e.Environment == input.From)?.CurrentDeploymentId == input.SourceDeploymentId, time.GetUtcNow());
    }
}

/// <summary>Starts the promotion's deployment (idempotent: its id is derived from the promotion's), unless the stage is pinned, frozen or busy.</summary>
public sealed class StartPromotionActivity(DeploymentService deployments)
{
    [Function(PromotionFunctions.Start)]
    public Task<PromotionStartResult> RunAsync([ActivityTrigger] PromotionPlan input) =>
        deployments.StartPromotionAsync(input, CancellationToken.None);
}
