using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Monitoring;
using Microsoft.Azure.Functions.Worker;

namespace IdpServerless.Functions.Deployments.Judgement;

/// <summary>Input of one judgement: the span to compare and what to compare.</summary>
/// <param name="CanaryVersion">Version of the canary track (its <c>{{version}}</c>).</param>
/// <param name="BaselineVersion">Version of the baseline track: the stable version.</param>
public sealed record JudgeInput(
    string App,
    string Namespace,
    string CanaryVersion,
    string BaselineVersion,
    JudgementStep Step,
    string Window,
    DateTimeOffset From,
    DateTimeOffset To);

/// <summary>Registered names of the judgement's functions.</summary>
public static class JudgementFunctions
{
    public const string Judge = "DeploymentJudge";
}

/// <summary>
/// Runs the range query of every metric for the canary and the baseline tracks, classifies each and scores the
/// release. A query that errors gives that metric no data (the judgement then stands on the others).
/// </summary>
public sealed class JudgeActivity(IMetricsProvider metrics, IRankSumTest test, TimeProvider time)
{
    [Function(JudgementFunctions.Judge)]
    public async Task<JudgementReport> RunAsync([ActivityTrigger] JudgeInput input)
    {
        var scorer = new JudgementScorer(test);
        var verdicts = new List<MetricVerdict>();
        foreach (var m in input.Step.Metrics)
        {
            try
            {
                var canary = await SamplesAsync(input, m, Tracks.Canary, input.CanaryVersion).ConfigureAwait(false);
                var baseline = await SamplesAsync(input, m, Tracks.Baseline, input.BaselineVersion).ConfigureAwait(false);
                verdicts.Add(scorer.Classify(m, canary, baseline, input.Step.Alpha));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException)
            {
                verdicts.Add(new MetricVerdict(m.Name, Verdicts.NoData, true, m.Critical, m.Weight, m.Direction, null, null, null, 0, 0, $"metrics provider error: {e.Message}"));
            }
        }

        var score = JudgementScorer.Score(verdicts);
        var t = input.Step.Thresholds;
        return new JudgementReport(time.GetUtcNow(), input.From, input.To, score, t.Pass, t.Marginal, JudgementScorer.Outcome(score, t), verdicts);
    }

    private async Task<IReadOnlyList<double>> SamplesAsync(JudgeInput input, JudgementMetric m, string track, string version)
    {
        var promQl = Expand(m.Query, input, track, version);
        var values = await metrics.QueryRangeAsync(promQl, input.From, input.To, input.Step.Interval, CancellationToken.None).ConfigureAwait(false);
        return values.Select(v => v.Value).ToList();
    }

    public static string Expand(string query, JudgeInput input, string track, string version) =>
        MetricQuery.Expand(query, input.App, input.Namespace, version, input.Window, track);
}
