using Microsoft.DurableTask;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Orchestrations;

namespace IdpServerless.Functions.Deployments.Analysis;

/// <summary>How an analysis ended: its phase (Successful, Failed, Error, Inconclusive) and why, or the control that stopped it.</summary>
public sealed record AnalysisEnd(ReleaseState Release, string Phase, string Message, ControlOutcome Control);

/// <summary>
/// Runs one analysis in the orchestration as Argo Rollouts runs an AnalysisRun: each metric on its own schedule
/// (<c>initialDelay</c>, then every <c>interval</c>, <c>count</c> times; an error is retried after the interval), its
/// phase from its counters (<see cref="MetricAssessment"/>), the run ending as soon as a decisive metric fails or
/// errors, else when every decisive metric is done. Dry-run metrics are measured and recorded but never decide.
/// Orchestrator code: deterministic (the context's clock, durable timers, one activity per round).
/// </summary>
public static class AnalysisRunner
{
    private static readonly TaskOptions Retried = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(20)));

    /// <summary>Error retries of a metric without an interval wait this long (Argo Rollouts' default error retry interval is 10s).</summary>
    public static readonly TimeSpan DefaultErrorRetry = TimeSpan.FromSeconds(10);

    public static async Task<AnalysisEnd> RunAsync(ReleaseRun run, ReleaseState release, AnalysisStep analysis, string window, string name)
    {
        var p = run.Plan;
        var metrics = analysis.Metrics ?? [];
        var start = run.Now;
        var due = metrics.Select(m => start + (m.InitialDelay ?? TimeSpan.Zero)).ToArray();
        var tally = metrics.Select(_ => new MetricTally()).ToArray();
        var phase = metrics.Select(_ => AnalysisOutcomes.Running).ToArray();
        var why = new string?[metrics.Count];
        var decisive = Enumerable.Range(0, metrics.Count).Where(i => !metrics[i].DryRun).ToList();
        var watched = decisive.Count > 0 ? decisive : Enumerable.Range(0, metrics.Count).ToList();
        var runIndex = release.AnalysisRuns?.Count ?? 0;
        var errorRetry = analysis.Interval > TimeSpan.Zero ? analysis.Interval : DefaultErrorRetry;

        run.StartStep($"analysis {name}: {string.Join(", ", metrics.Select(m => m.DryRun ? $"{m.Name} (dry run)" : m.Name))}", Describe(metrics));
        release = WithSummary(release, runIndex, Summary(name, AnalysisOutcomes.Running, null, start, null, metrics, tally, phase, why));
        await run.SaveAsync(release: release);

        while (watched.Any(i => phase[i] == AnalysisOutcomes.Running))
        {
            var next = Enumerable.Range(0, metrics.Count).Where(i => phase[i] == AnalysisOutcomes.Running).Min(i => due[i]);
            if (next > run.Now)
            {
                var waited = await run.WaitWithControlsAsync(next, $"analysis {name} paused");
                if (waited != ControlOutcome.Continue)
                {
                    var by = $"{(waited == ControlOutcome.Abort ? "aborted" : "promoted")} by {run.LastControl?.By}";
                    run.FinishStep(waited == ControlOutcome.Abort ? "Failed" : "Succeeded", by);
                    release = WithSummary(release, runIndex, Summary(name, waited == ControlOutcome.Abort ? AnalysisOutcomes.Failed : AnalysisOutcomes.Successful, by, start, run.Now, metrics, tally, phase, why));
                    await run.SaveAsync(release: release);
                    return new AnalysisEnd(release, AnalysisOutcomes.Running, by, waited);
                }
            }

            var batch = Enumerable.Range(0, metrics.Count).Where(i => phase[i] == AnalysisOutcomes.Running && due[i] <= run.Now).ToList();
            var input = new MeasureMetricsInput(p.App, p.Namespace, p.Version, p.ClusterNames, batch.Select(i => metrics[i]).ToList(), window, name);
            var results = await run.Context.CallActivityAsync<IReadOnlyList<AnalysisResult>>(AnalysisFunctions.MeasureMetrics, input, Retried);
            for (var k = 0; k < batch.Count && k < results.Count; k++)
            {
                var i = batch[k];
                tally[i] = tally[i].Add(results[k].Result);
                (phase[i], why[i]) = MetricAssessment.Assess(metrics[i], tally[i]);
                if (results[k].Result == AnalysisOutcomes.Error && phase[i] == AnalysisOutcomes.Error)
                {
                    why[i] += $" (last: {results[k].Message})";
                }

                due[i] = run.Now + (results[k].Result == AnalysisOutcomes.Error ? metrics[i].Interval ?? errorRetry : metrics[i].Interval ?? TimeSpan.Zero);
            }

            release = release with { Analysis = [.. release.Analysis, .. results] };
            var stop = decisive.Any(i => phase[i] is AnalysisOutcomes.Failed or AnalysisOutcomes.Error);
            release = WithSummary(release, runIndex, Summary(name, AnalysisOutcomes.Running, null, start, null, metrics, tally, phase, why));
            await run.SaveAsync(release: release);
            if (stop)
            {
                break;
            }
        }

        var final = MetricAssessment.Combine(decisive.Select(i => phase[i]));
        if (final == AnalysisOutcomes.Running)
        {
            final = AnalysisOutcomes.Successful;
        }

        var message = final == AnalysisOutcomes.Successful
            ? $"analysis successful ({name}): " + string.Join("; ", decisive.Select(i => $"{metrics[i].Name}: {why[i]}"))
            : $"analysis {final.ToLowerInvariant()} ({name}): " + string.Join("; ", decisive.Where(i => phase[i] == final).Select(i => $"{metrics[i].Name}: {why[i]}{Last(release, metrics[i].Name, name)}"));
        run.FinishStep(final == AnalysisOutcomes.Successful ? "Succeeded" : final == AnalysisOutcomes.Inconclusive ? "Inconclusive" : "Failed", message);
        release = WithSummary(release, runIndex, Summary(name, final, message, start, run.Now, metrics, tally, phase, why));
        await run.SaveAsync(release: release);
        return new AnalysisEnd(release, final, message, ControlOutcome.Continue);
    }

    private static string Last(ReleaseState release, string metric, string analysis) =>
        release.Analysis.LastOrDefault(a => a.Metric == metric && a.Analysis == analysis) is { Result: not AnalysisOutcomes.Error } last
            ? $" (last value {(last.Values is { Count: > 1 } v ? "[" + string.Join(", ", v.Select(x => Format(x))) + "]" : Format(last.Value))}{(last.Condition is { } c ? $", {c}" : string.Empty)})"
            : string.Empty;

    private static string Format(double? v) => v is { } x ? x.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) : "no data";

    private static string Describe(IReadOnlyList<AnalysisMetric> metrics) => string.Join("; ", metrics.Select(m =>
        $"{m.Name}: {(m.UsesConditions ? string.Join(" / ", new[] { m.SuccessCondition is { } s ? $"success {s}" : null, m.FailureCondition is { } f ? $"failure {f}" : null }.OfType<string>()) : $"result {m.Comparison} {m.Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}")}" +
        $", count {(MetricAssessment.EffectiveCount(m) == int.MaxValue ? "unbounded" : MetricAssessment.EffectiveCount(m).ToString(System.Globalization.CultureInfo.InvariantCulture))}" +
        (m.Interval is { } i ? $" every {Durations.Format(i)}" : string.Empty) +
        $", failureLimit {m.FailureLimit ?? 0}"));

    private static AnalysisRunSummary Summary(string name, string phase, string? message, DateTimeOffset started, DateTimeOffset? finished, IReadOnlyList<AnalysisMetric> metrics, MetricTally[] tally, string[] phases, string?[] why) =>
        new(name, phase, message, started, finished, metrics.Select((m, i) => new MetricSummary(m.Name, phases[i], m.DryRun, tally[i].Count, tally[i].Successful, tally[i].Failed, tally[i].Inconclusive, tally[i].Error, why[i])).ToList());

    private static ReleaseState WithSummary(ReleaseState release, int index, AnalysisRunSummary summary)
    {
        var runs = (release.AnalysisRuns ?? []).ToList();
        if (index < runs.Count)
        {
            runs[index] = summary;
        }
        else
        {
            runs.Add(summary);
        }

        return release with { AnalysisRuns = runs };
    }
}
