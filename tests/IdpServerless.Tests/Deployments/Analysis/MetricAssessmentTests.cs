using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.Analysis;
using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Tests.Deployments.Analysis;

/// <summary>Argo Rollouts' limit counting for one metric, table-driven: each row is a sequence of measurement phases (S, F, I, E).</summary>
public class MetricAssessmentTests
{
    public static TheoryData<string, int?, int?, int?, int?, int?, string, string> Cases => new()
    {
        // measurements, count, failureLimit, inconclusiveLimit, consecutiveErrorLimit, consecutiveSuccessLimit, phase after them, why contains
        { "S", null, null, null, null, null, AnalysisOutcomes.Successful, "1/1" },
        { "F", null, null, null, null, null, AnalysisOutcomes.Failed, "more than failureLimit 0" },
        { "SS", 3, null, null, null, null, AnalysisOutcomes.Running, "" },
        { "SSS", 3, null, null, null, null, AnalysisOutcomes.Successful, "3/3" },
        { "SFS", 3, 1, null, null, null, AnalysisOutcomes.Successful, "2/3" },
        { "SFF", 3, 1, null, null, null, AnalysisOutcomes.Failed, "2 failed" },
        { "FFFF", 4, -1, null, null, null, AnalysisOutcomes.Successful, "0/4" }, // -1: failures never fail the metric
        { "I", 3, null, null, null, null, AnalysisOutcomes.Inconclusive, "more than inconclusiveLimit 0" },
        { "ISS", 3, null, 1, null, null, AnalysisOutcomes.Successful, "2/3" },
        { "EEE", 1, null, null, null, null, AnalysisOutcomes.Running, "" }, // errors are retried, not failures
        { "EEEES", 1, null, null, null, null, AnalysisOutcomes.Successful, "1/1" }, // 4 errors then a value: within the default limit 4
        { "EEEEE", 1, null, null, null, null, AnalysisOutcomes.Error, "5 consecutive errors, more than consecutiveErrorLimit 4" },
        { "EESEEEE", 3, null, null, null, null, AnalysisOutcomes.Running, "" }, // a value resets the run of errors
        { "EE", 1, null, null, 1, null, AnalysisOutcomes.Error, "more than consecutiveErrorLimit 1" },
        { "EEEEEEEE", 1, null, null, -1, null, AnalysisOutcomes.Running, "" },
        { "SS", 5, null, null, null, 2, AnalysisOutcomes.Successful, "2 consecutive successes" },
        { "SFSS", 5, 1, null, null, 2, AnalysisOutcomes.Successful, "consecutiveSuccessLimit 2" },
        { "SFSF", 4, 3, null, null, 3, AnalysisOutcomes.Inconclusive, "neither" }, // both limits set, count ends: inconclusive
        { "SFSF", 4, -1, null, null, 3, AnalysisOutcomes.Failed, "without 3 consecutive successes" }, // only the success limit applies
        { "SFF", 10, 1, null, null, 3, AnalysisOutcomes.Failed, "2 failed" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_metrics_phase_follows_from_its_counters(string measurements, int? count, int? failureLimit, int? inconclusiveLimit, int? errorLimit, int? successLimit, string phase, string why)
    {
        var metric = new AnalysisMetric("m", "q", string.Empty, 0, SuccessCondition: "result > 0", Count: count, Interval: count is null ? null : TimeSpan.FromSeconds(1),
            FailureLimit: failureLimit, InconclusiveLimit: inconclusiveLimit, ConsecutiveErrorLimit: errorLimit, ConsecutiveSuccessLimit: successLimit);
        var tally = new MetricTally();
        var (actual, reason) = (AnalysisOutcomes.Running, (string?)null);
        foreach (var m in measurements)
        {
            Assert.Equal(AnalysisOutcomes.Running, actual); // the rows stop where the metric completes
            tally = tally.Add(m switch { 'S' => AnalysisOutcomes.Successful, 'F' => AnalysisOutcomes.Failed, 'I' => AnalysisOutcomes.Inconclusive, _ => AnalysisOutcomes.Error });
            (actual, reason) = MetricAssessment.Assess(metric, tally);
        }

        Assert.Equal(phase, actual);
        Assert.Contains(why, reason ?? string.Empty, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, 1)]
    [InlineData(5, null, 5)]
    [InlineData(null, 30, int.MaxValue)]
    public void The_effective_count_is_one_without_count_or_interval_and_unbounded_with_only_an_interval(int? count, int? intervalSeconds, int expected) =>
        Assert.Equal(expected, MetricAssessment.EffectiveCount(new AnalysisMetric("m", "q", string.Empty, 0, Count: count, Interval: intervalSeconds is { } s ? TimeSpan.FromSeconds(s) : null)));

    public static TheoryData<string?, string?, double?, double[]?, string> Measurements => new()
    {
        { "result[0] >= 0.95", null, 0.97, new[] { 0.97 }, AnalysisOutcomes.Successful },
        { "result[0] >= 0.95", null, 0.9, new[] { 0.9 }, AnalysisOutcomes.Failed },
        { null, "result[0] >= 10", 12, new[] { 12.0 }, AnalysisOutcomes.Failed },
        { null, "result[0] >= 10", 3, new[] { 3.0 }, AnalysisOutcomes.Successful },
        { "result[0] >= 0.9", "result[0] < 0.5", 0.7, new[] { 0.7 }, AnalysisOutcomes.Inconclusive },
        { "result[0] >= 0.9", "result[0] < 0.5", 0.4, new[] { 0.4 }, AnalysisOutcomes.Failed },
        { "isNaN(result) || result >= 0.9", null, null, null, AnalysisOutcomes.Successful },
    };

    [Theory]
    [MemberData(nameof(Measurements))]
    public void A_measurements_phase_follows_argo_rollouts_condition_rules(string? success, string? failure, double? scalar, double[]? vector, string phase)
    {
        var metric = new AnalysisMetric("m", "q", string.Empty, 0, SuccessCondition: success, FailureCondition: failure);
        Assert.Equal(phase, MetricAssessment.Measure(metric, new ExprConditionEvaluator(), scalar, vector).Phase);
    }

    [Fact]
    public void A_metric_in_the_portals_own_form_compares_to_its_threshold_and_no_data_is_inconclusive()
    {
        var metric = new AnalysisMetric("success-rate", "q", ">=", 0.99);
        Assert.Equal(AnalysisOutcomes.Successful, MetricAssessment.Measure(metric, new ExprConditionEvaluator(), 0.995, null).Phase);
        Assert.Equal(AnalysisOutcomes.Failed, MetricAssessment.Measure(metric, new ExprConditionEvaluator(), 0.9, null).Phase);
        Assert.Equal(AnalysisOutcomes.Inconclusive, MetricAssessment.Measure(metric, new ExprConditionEvaluator(), null, null).Phase);
    }

    [Fact]
    public void An_analysis_is_as_bad_as_its_worst_decisive_metric() =>
        Assert.Equal(
            [AnalysisOutcomes.Failed, AnalysisOutcomes.Error, AnalysisOutcomes.Inconclusive, AnalysisOutcomes.Successful],
            new[]
            {
                MetricAssessment.Combine([AnalysisOutcomes.Successful, AnalysisOutcomes.Error, AnalysisOutcomes.Failed]),
                MetricAssessment.Combine([AnalysisOutcomes.Inconclusive, AnalysisOutcomes.Error]),
                MetricAssessment.Combine([AnalysisOutcomes.Successful, AnalysisOutcomes.Inconclusive]),
                MetricAssessment.Combine([AnalysisOutcomes.Successful, AnalysisOutcomes.Successful]),
            });
}
