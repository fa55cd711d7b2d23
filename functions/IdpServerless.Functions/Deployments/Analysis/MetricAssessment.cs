using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Functions.Deployments.Analysis;

/// <summary>What one metric has measured so far (Argo Rollouts' MetricResult counters).</summary>
public sealed record MetricTally(int Count = 0, int Successful = 0, int Failed = 0, int Inconclusive = 0, int Error = 0, int ConsecutiveError = 0, int ConsecutiveSuccess = 0)
{
    /// <summary>The tally after one more measurement of phase <paramref name="phase"/>.</summary>
    public MetricTally Add(string phase) => phase switch
    {
        AnalysisOutcomes.Successful => this with { Count = Count + 1, Successful = Successful + 1, ConsecutiveError = 0, ConsecutiveSuccess = ConsecutiveSuccess + 1 },
        AnalysisOutcomes.Failed => this with { Count = Count + 1, Failed = Failed + 1, ConsecutiveError = 0, ConsecutiveSuccess = 0 },
        AnalysisOutcomes.Inconclusive => this with { Count = Count + 1, Inconclusive = Inconclusive + 1, ConsecutiveError = 0, ConsecutiveSuccess = 0 },
        _ => this with { Error = Error + 1, ConsecutiveError = ConsecutiveError + 1 },
    };
}

/// <summary>
/// Argo Rollouts' rules for a metric's phase from its counters, as a pure function (table-tested). Defaults as Argo's:
/// <c>failureLimit</c> 0 (-1 turns failure counting off), <c>inconclusiveLimit</c> 0, <c>consecutiveErrorLimit</c> 4,
/// <c>consecutiveSuccessLimit</c> 0 (off). A measurement that errors does not use up <c>count</c>: it is retried after the
/// interval, and only more than <c>consecutiveErrorLimit</c> errors in a row make the metric (and the analysis) Error.
/// </summary>
public static class MetricAssessment
{
    public const int DefaultConsecutiveErrorLimit = 4;

    /// <summary>How many measurements a metric takes: its count; one when it has neither count nor interval; unbounded with an interval and no count (it runs until it fails or the analysis stops).</summary>
    public static int EffectiveCount(AnalysisMetric metric) =>
        metric.Count is { } c and > 0 ? c : metric.Interval is null ? 1 : int.MaxValue;

    /// <summary>The metric's phase: <see cref="AnalysisOutcomes.Running"/> while it still measures, else the terminal phase and why.</summary>
    public static (string Phase, string? Why) Assess(AnalysisMetric metric, MetricTally t)
    {
        var failureLimit = metric.FailureLimit ?? 0;
        var inconclusiveLimit = metric.InconclusiveLimit ?? 0;
        var errorLimit = metric.ConsecutiveErrorLimit ?? DefaultConsecutiveErrorLimit;
        var successLimit = metric.ConsecutiveSuccessLimit ?? 0;
        if (errorLimit >= 0 && t.ConsecutiveError > errorLimit)
        {
            return (AnalysisOutcomes.Error, $"{t.ConsecutiveError} consecutive errors, more than consecutiveErrorLimit {errorLimit}");
        }

        if (failureLimit >= 0 && t.Failed > failureLimit)
        {
            return (AnalysisOutcomes.Failed, $"{t.Failed} failed measurement(s), more than failureLimit {failureLimit}");
        }

        if (t.Inconclusive > inconclusiveLimit)
        {
            return (AnalysisOutcomes.Inconclusive, $"{t.Inconclusive} inconclusive measurement(s), more than inconclusiveLimit {inconclusiveLimit}");
        }

        if (successLimit > 0 && t.ConsecutiveSuccess >= successLimit)
        {
            return (AnalysisOutcomes.Successful, $"{t.ConsecutiveSuccess} consecutive successes reached consecutiveSuccessLimit {successLimit}");
        }

        if (t.Count < EffectiveCount(metric) || t.ConsecutiveError > 0)
        {
            // A trailing error is retried: the count is of measurements that produced a value.
            return (AnalysisOutcomes.Running, null);
        }

        if (successLimit > 0)
        {
            return failureLimit >= 0
                ? (AnalysisOutcomes.Inconclusive, $"count {t.Count} reached with neither consecutiveSuccessLimit {successLimit} nor failureLimit {failureLimit} met")
                : (AnalysisOutcomes.Failed, $"count {t.Count} reached without {successLimit} consecutive successes");
        }

        return (AnalysisOutcomes.Successful, $"{t.Successful}/{t.Count} measurements successful");
    }

    /// <summary>The analysis' phase from its decisive (non-dry-run) metrics' phases: Failed, then Error, then Inconclusive, then Successful.</summary>
    public static string Combine(IEnumerable<string> phases)
    {
        var list = phases.ToList();
        return list.Contains(AnalysisOutcomes.Failed) ? AnalysisOutcomes.Failed
            : list.Contains(AnalysisOutcomes.Error) ? AnalysisOutcomes.Error
            : list.Contains(AnalysisOutcomes.Running) ? AnalysisOutcomes.Running
            : list.Contains(AnalysisOutcomes.Inconclusive) ? AnalysisOutcomes.Inconclusive
            : AnalysisOutcomes.Successful;
    }

    /// <summary>
    /// One measurement's phase from its result, as Argo Rollouts decides: with both conditions, failure is checked first
    /// and neither true is Inconclusive; with only a success condition, false is Failed; with only a failure condition,
    /// false is Successful; with neither, Inconclusive. Metrics in the portal's own form compare to their threshold, and
    /// no data is Inconclusive.
    /// </summary>
    public static (string Phase, string? Condition) Measure(AnalysisMetric metric, IConditionEvaluator conditions, double? scalar, IReadOnlyList<double>? vector)
    {
        if (!metric.UsesConditions)
        {
            return scalar is not { } v ? (AnalysisOutcomes.Inconclusive, null)
                : (Passes(v, metric.Comparison, metric.Threshold) ? AnalysisOutcomes.Successful : AnalysisOutcomes.Failed, $"result {metric.Comparison} {metric.Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        object? result = vector is not null ? vector.ToList() : scalar ?? double.NaN;
        if (metric.FailureCondition is { } failure && conditions.Evaluate(failure, result))
        {
            return (AnalysisOutcomes.Failed, failure);
        }

        if (metric.SuccessCondition is { } success)
        {
            return conditions.Evaluate(success, result) ? (AnalysisOutcomes.Successful, success)
                : metric.FailureCondition is null ? (AnalysisOutcomes.Failed, success) : (AnalysisOutcomes.Inconclusive, $"neither {success} nor {metric.FailureCondition}");
        }

        return metric.FailureCondition is { } f ? (AnalysisOutcomes.Successful, $"not {f}") : (AnalysisOutcomes.Inconclusive, "no successCondition or failureCondition");
    }

    public static bool Passes(double value, string comparison, double threshold) => comparison switch
    {
        ">=" => value >= threshold,
        "<=" => value <= threshold,
        ">" => value > threshold,
        "<" => value < threshold,
        _ => false,
    };
}
