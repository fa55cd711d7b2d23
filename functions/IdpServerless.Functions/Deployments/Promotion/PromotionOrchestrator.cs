using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Orchestrations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace IdpServerless.Functions.Deployments.Promotion;

/// <summary>
/// Everything a promotion needs, fixed when the version's deployment to <see cref="From"/> succeeded.
/// <see cref="VerifiedFrom"/> is when that deployment finished (the soak counts from there).
/// </summary>
public sealed record PromotionPlan(
    string PromotionId,
    string Component,
    string App,
    string SourceDeploymentId,
    string From,
    string To,
    string Version,
    string RequestedBy,
    DateTimeOffset VerifiedFrom,
    PromotionRule Rule,
    IReadOnlyList<FreezeWindow> Freeze,
    string Namespace,
    IReadOnlyList<string> Clusters,
    IReadOnlyList<AnalysisMetric> Metrics,
    string AnalysisWindow,
    TimeSpan PollInterval,
    TimeSpan WaitLimit);

/// <summary>What the start activity found: <see cref="PromotionStartOutcomes"/>.</summary>
public sealed record PromotionStartResult(string Outcome, string? DeploymentId, string? Message, DateTimeOffset? Until = null);

/// <summary>Outcomes of the start activity.</summary>
public static class PromotionStartOutcomes
{
    public const string Started = "started";
    public const string Busy = "busy";
    public const string Frozen = "frozen";
    public const string Pinned = "pinned";
    public const string Skipped = "skipped";
}

/// <summary>Registered names of the promotion orchestrator and activities.</summary>
public static class PromotionFunctions
{
    public const string Orchestrator = "Promotion";
    public const string Schedule = "PromotionSchedule";
    public const string Save = "PromotionSave";
    public const string CheckSource = "PromotionCheckSource";
    public const string Start = "PromotionStart";
}

/// <summary>
/// One automatic promotion of a version to the next stage: soak in the stage before, analysis there, wait out any
/// freeze of the target stage, wait for the target stage to be free, then start the deployment (which itself waits for
/// the stage's approvals). A failed verification ends it there: the version goes no further. Deterministic: all effects
/// are activities; the freeze calendar is evaluated on the orchestration's own clock.
/// </summary>
public static class PromotionOrchestrator
{
    private const int MaxRounds = 2000;
    private static readonly TaskOptions Retried = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(20)));

    [Function(PromotionFunctions.Orchestrator)]
    [Hosting.Functions.OrchestrationInput(typeof(PromotionPlan))]
    public static Task<PromotionRecord> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RunAsync(context, context.GetInput<PromotionPlan>() ?? throw new InvalidOperationException("The orchestration has no input."));
    }

    public static async Task<PromotionRecord> RunAsync(TaskOrchestrationContext context, PromotionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(plan);
        var record = Initial(plan, Now(context));
        var soakUntil = plan.VerifiedFrom + plan.Rule.Soak;
        if (plan.Rule.Soak > TimeSpan.Zero && Now(context) < soakUntil)
        {
            record = await SaveAsync(context, record, PromotionStatuses.Soaking, $"soaking in {plan.From} until {soakUntil:yyyy-MM-dd HH:mm:ss} UTC", soakUntil);
            await UntilAsync(context, soakUntil);
        }

        var source = new SourceCheck(true, soakUntil);
        if (plan.Rule.Soak > TimeSpan.Zero || plan.Rule.Analysis is not null)
        {
            source = await context.CallActivityAsync<SourceCheck>(PromotionFunctions.CheckSource, plan, Retried);
            // Bounded: each round waits out what the wall clock says is left of the soak.
            for (var round = 0; round < 10 && source.Current && source.CheckedAt < soakUntil; round++)
            {
                await UntilAsync(context, Now(context) + (soakUntil - source.CheckedAt));
                source = await context.CallActivityAsync<SourceCheck>(PromotionFunctions.CheckSource, plan, Retried);
            }
        }

        if (!source.Current)
        {
            return await SaveAsync(context, record, PromotionStatuses.Superseded, $"{plan.Version} no longer runs in {plan.From}: not promoted", null);
        }

        if (plan.Rule.Analysis is { } analysis)
        {
            record = await SaveAsync(context, record, PromotionStatuses.Analyzing, $"analysis of {plan.Version} in {plan.From}: {string.Join(", ", analysis.Templates)}", null);
            var results = new List<AnalysisResult>();
            for (var i = 0; i < analysis.Count; i++)
            {
                if (i > 0)
                {
                    await UntilAsync(context, Now(context) + analysis.Interval);
                }

                results.AddRange(await context.CallActivityAsync<IReadOnlyList<AnalysisResult>>(DeploymentFunctions.Measure,
                    new MeasureInput(plan.App, plan.Namespace, plan.Version, plan.Clusters, plan.Metrics, plan.AnalysisWindow), Retried));
                record = record with { Analysis = results.ToList() };
                var failed = results.Where(r => r.Result == AnalysisOutcomes.Failed).ToList();
                if (failed.Count > analysis.FailureLimit)
                {
                    var worst = failed[^1];
                    return await SaveAsync(context, record, PromotionStatuses.VerificationFailed,
                        $"failed verification in {plan.From}: {worst.Metric} = {worst.Value?.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) ?? "none"} (threshold {worst.Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}); {plan.Version} goes no further", null);
                }
            }
        }

        var deadline = Now(context) + plan.WaitLimit;
        var busyWait = plan.PollInterval;
        // Bounded (each round waits out a freeze or a busy stage, at most a minute at a time once backed off).
        for (var round = 0; round < MaxRounds; round++)
        {
            if (FreezeCalendar.ActiveAt(plan.Freeze, Now(context)) is { } freeze)
            {
                record = await SaveAsync(context, record, PromotionStatuses.Frozen, $"waiting for freeze to end: {plan.To} is frozen until {freeze.Until:yyyy-MM-dd HH:mm} UTC ({freeze.Reason})", freeze.Until);
                await UntilAsync(context, freeze.Until);
                continue;
            }

            var start = await context.CallActivityAsync<PromotionStartResult>(PromotionFunctions.Start, plan, Retried);
            switch (start.Outcome)
            {
                case PromotionStartOutcomes.Started:
                    return await SaveAsync(context, record with { DeploymentId = start.DeploymentId }, PromotionStatuses.Promoted, start.Message ?? $"deployment {start.DeploymentId} started", null);
                case PromotionStartOutcomes.Pinned:
                    return await SaveAsync(context, record, PromotionStatuses.Pinned, start.Message, null);
                case PromotionStartOutcomes.Skipped:
                    return await SaveAsync(context, record, PromotionStatuses.Superseded, start.Message, null);
                case PromotionStartOutcomes.Frozen when start.Until is { } until:
                    record = await SaveAsync(context, record, PromotionStatuses.Frozen, $"waiting for freeze to end: {start.Message}", until);
                    await UntilAsync(context, until);
                    break;
                default:
                    if (Now(context) >= deadline)
                    {
                        return await SaveAsync(context, record, PromotionStatuses.Superseded, $"gave up after waiting {Durations.Format(plan.WaitLimit)} for {plan.To}: {start.Message}", null);
                    }

                    if (record.Status != PromotionStatuses.WaitingForStage || record.Message != start.Message)
                    {
                        record = await SaveAsync(context, record, PromotionStatuses.WaitingForStage, start.Message, null);
                    }

                    await UntilAsync(context, Now(context) + busyWait);
                    busyWait = TimeSpan.FromTicks(Math.Min(busyWait.Ticks * 2, TimeSpan.FromMinutes(1).Ticks));
                    break;
            }
        }

        return await SaveAsync(context, record, PromotionStatuses.Superseded, $"gave up after {MaxRounds} rounds of waiting for {plan.To}", null);
    }

    public static PromotionRecord Initial(PromotionPlan plan, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new PromotionRecord(plan.PromotionId, plan.Component, plan.From, plan.To, plan.Version, plan.SourceDeploymentId, plan.RequestedBy,
            plan.Rule.Analysis is null ? PromotionStatuses.Soaking : PromotionStatuses.Analyzing, $"verifying {plan.Version} in {plan.From}", null, null, [], now, now);
    }

    private static async Task<PromotionRecord> SaveAsync(TaskOrchestrationContext context, PromotionRecord record, string status, string? message, DateTimeOffset? until)
    {
        record = record with { Status = status, Message = message, WaitingUntil = until, UpdatedAt = Now(context) };
        context.SetCustomStatus(new { record.Status, record.Message, record.WaitingUntil, record.DeploymentId });
        await context.CallActivityAsync<bool>(PromotionFunctions.Save, record, Retried);
        return record;
    }

    // The task hub's queues release a timer up to a second early: wait out the rest.
    private static async Task UntilAsync(TaskOrchestrationContext context, DateTimeOffset until)
    {
        for (var i = 0; i < 10 && Now(context) < until; i++)
        {
            await context.CreateTimer(until.UtcDateTime, CancellationToken.None);
        }
    }

    private static DateTimeOffset Now(TaskOrchestrationContext context) => new(DateTime.SpecifyKind(context.CurrentUtcDateTime, DateTimeKind.Utc));
}
