namespace IdpServerless.Functions.Deployments.Judgement;

/// <summary>Which way a metric's change is bad (Kayenta's <c>direction</c>).</summary>
public static class Directions
{
    /// <summary>A canary higher than its baseline fails (error rates, latencies).</summary>
    public const string Increase = "increase";

    /// <summary>A canary lower than its baseline fails (throughput, success rates).</summary>
    public const string Decrease = "decrease";

    /// <summary>Any significant difference fails.</summary>
    public const string Either = "either";

    public static bool IsKnown(string direction) => direction is Increase or Decrease or Either;
}

/// <summary>What the comparison of one metric found (Kayenta's classifications).</summary>
public static class Verdicts
{
    public const string Pass = "pass";
    public const string High = "high";
    public const string Low = "low";
    public const string NoData = "nodata";
}

/// <summary>
/// One metric a judgement compares: <see cref="Query"/> is PromQL with <c>{{track}}</c> (canary or baseline),
/// <c>{{version}}</c>, <c>{{app}}</c>, <c>{{namespace}}</c> and <c>{{window}}</c>; its range query gives the samples.
/// </summary>
/// <param name="Weight">Share of the score (any positive number; weights are normalised over the metrics with data).</param>
/// <param name="Critical">A critical metric that fails scores the whole judgement 0.</param>
/// <param name="AllowedIncrease">Kayenta's effect size: a canary median up to this multiple of the baseline's is not high (1 = none allowed).</param>
/// <param name="AllowedDecrease">Kayenta's effect size: a canary median down to this multiple of the baseline's is not low (1 = none allowed).</param>
public sealed record JudgementMetric(string Name, string Query, string Direction, double Weight, bool Critical, double AllowedIncrease = 1, double AllowedDecrease = 1);

/// <summary>Score marks (Kayenta's <c>scoreThresholds</c>): at or above <see cref="Pass"/> the release goes on, below <see cref="Marginal"/> it rolls back, between them a human decides.</summary>
public sealed record ScoreThresholds(double Pass, double Marginal);

/// <summary>
/// A canary step that judges the canary against its baseline: after <see cref="Lifetime"/> of traffic, each metric's
/// samples of that span (one every <see cref="Interval"/>) from canary and baseline go through a Mann-Whitney U test.
/// </summary>
/// <param name="Alpha">Significance level: a difference with a p-value below it counts (Kayenta's default confidence is 95%).</param>
public sealed record JudgementStep(IReadOnlyList<JudgementMetric> Metrics, TimeSpan Interval, TimeSpan Lifetime, ScoreThresholds Thresholds, double Alpha = 0.05);

/// <summary>One metric's verdict.</summary>
/// <param name="Verdict">One of <see cref="Verdicts"/>: what the data shows.</param>
/// <param name="Passed">Whether the verdict is acceptable given the metric's direction (a low latency passes).</param>
/// <param name="PValue">Two-sided p-value of the test, null without data.</param>
public sealed record MetricVerdict(
    string Metric,
    string Verdict,
    bool Passed,
    bool Critical,
    double Weight,
    string Direction,
    double? PValue,
    double? CanaryMedian,
    double? BaselineMedian,
    int CanarySamples,
    int BaselineSamples,
    string? Message = null);

/// <summary>Outcomes of a judgement.</summary>
public static class JudgementOutcomes
{
    public const string Pass = "pass";
    public const string Marginal = "marginal";
    public const string Fail = "fail";
    public const string NoData = "nodata";
}

/// <summary>
/// A judgement's result as the deployment record keeps it: the score 0-100 (null when no metric had data), the
/// thresholds it was held against, the outcome and every metric's verdict.
/// </summary>
public sealed record JudgementReport(
    DateTimeOffset At,
    DateTimeOffset From,
    DateTimeOffset To,
    double? Score,
    double Pass,
    double Marginal,
    string Outcome,
    IReadOnlyList<MetricVerdict> Metrics)
{
    /// <summary>One line on why, for the step log and the rollback commit.</summary>
    public string Explain()
    {
        var score = Score is { } s ? s.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) : "none";
        var bad = Metrics.Where(m => !m.Passed && m.Verdict != Verdicts.NoData).Select(m => $"{m.Metric} {m.Verdict}" + (m.Critical ? " (critical)" : string.Empty)).ToList();
        var nodata = Metrics.Where(m => m.Verdict == Verdicts.NoData).Select(m => m.Metric).ToList();
        var why = bad.Count > 0 ? $": {string.Join(", ", bad)}" : string.Empty;
        var missing = nodata.Count > 0 ? $"; no data for {string.Join(", ", nodata)}" : string.Empty;
        return $"judgement score {score} (pass {Pass.ToString(System.Globalization.CultureInfo.InvariantCulture)}, marginal {Marginal.ToString(System.Globalization.CultureInfo.InvariantCulture)}){why}{missing}";
    }
}
