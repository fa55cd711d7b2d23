using Microsoft.Azure.Functions.Worker;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Monitoring;

namespace IdpServerless.Functions.Deployments.Analysis;

/// <summary>Input of one round of measurements: the metrics due now, for the version, over the window.</summary>
public sealed record MeasureMetricsInput(string App, string Namespace, string Version, IReadOnlyList<string> Clusters, IReadOnlyList<AnalysisMetric> Metrics, string Window, string Analysis);

/// <summary>Registered names of the analysis activities.</summary>
public static class AnalysisFunctions
{
    public const string MeasureMetrics = "DeploymentMeasureMetrics";
}

/// <summary>
/// Measures each metric once and judges the measurement with its conditions (Argo Rollouts' semantics: Successful,
/// Failed, Inconclusive, or Error when the query or the condition fails). Never throws for a failing query: an error is
/// a measurement, and the analysis decides with consecutiveErrorLimit what it means.
/// </summary>
public sealed class MeasureMetricsActivity(IMetricsProvider metrics, IConditionEvaluator conditions, TimeProvider time)
{
    [Function(AnalysisFunctions.MeasureMetrics)]
    public async Task<IReadOnlyList<AnalysisResult>> RunAsync([ActivityTrigger] MeasureMetricsInput input)
    {
        var results = new List<AnalysisResult>();
        foreach (var m in input.Metrics)
        {
            var promQl = MetricQuery.Expand(m.Query, input.App, input.Namespace, input.Version, input.Window);
            AnalysisResult result;
            try
            {
                var sample = await metrics.SampleAsync(new MetricQuery(m.Name, promQl, input.App, input.Namespace, input.Version, input.Clusters), m.Address, CancellationToken.None).ConfigureAwait(false);
                var (phase, condition) = MetricAssessment.Measure(m, conditions, sample.Scalar, sample.Vector);
                var note = sample.Reason;
                if (m.Address is { } address && sample.Address is { } used && !string.Equals(address.TrimEnd('/'), used.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
                {
                    note = Join(note, $"{address} is not in Metrics:AllowedAnalysisAddresses: queried the portal's Prometheus");
                }

                result = new AnalysisResult(time.GetUtcNow(), m.Name, sample.Scalar, m.Threshold, phase, note, m.DryRun, sample.Vector, condition, input.Analysis);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException or ConditionException or KeyNotFoundException)
            {
                var what = e is ConditionException ? "condition error" : "metrics provider error";
                result = new AnalysisResult(time.GetUtcNow(), m.Name, null, m.Threshold, AnalysisOutcomes.Error, $"{what}: {e.Message}", m.DryRun, null, m.SuccessCondition ?? m.FailureCondition, input.Analysis);
            }

            results.Add(result);
        }

        return results;
    }

    private static string Join(string? a, string b) => a is null ? b : $"{a}; {b}";
}
