using MathNet.Numerics.Statistics;

namespace IdpServerless.Functions.Deployments.Judgement;

/// <summary>
/// Classifies each metric from its canary and baseline samples and scores the release (Kayenta's judge, simplified):
/// a metric is high or low when the rank-sum test's p-value is below alpha and the medians differ by more than the
/// effect size allows; it fails when that change goes the bad way for its direction. The score is the weighted share
/// of passing metrics among those with data; a failing critical metric makes it 0. Metrics with fewer than
/// <see cref="MinSamples"/> finite samples on either side are nodata and left out of the score.
/// </summary>
public sealed class JudgementScorer(IRankSumTest test)
{
    public const int MinSamples = 3;

    public MetricVerdict Classify(JudgementMetric metric, IReadOnlyList<double> canary, IReadOnlyList<double> baseline, double alpha)
    {
        // Kayenta's default NaN strategy: remove (a ratio over no traffic is NaN, not a measurement).
        var c = canary.Where(double.IsFinite).ToList();
        var b = baseline.Where(double.IsFinite).ToList();
        if (c.Count < MinSamples || b.Count < MinSamples)
        {
            return new MetricVerdict(metric.Name, Verdicts.NoData, true, metric.Critical, metric.Weight, metric.Direction, null,
                c.Count > 0 ? c.Median() : null, b.Count > 0 ? b.Median() : null, c.Count, b.Count,
                $"{c.Count} canary and {b.Count} baseline samples: at least {MinSamples} of each are needed");
        }

        var result = test.Test(c, b);
        var (cm, bm) = (c.Median(), b.Median());
        var verdict = Verdicts.Pass;
        if (result.PValue < alpha)
        {
            // Which way is decided by the medians, and the effect size tolerance by their ratio (Kayenta's allowedIncrease/Decrease).
            if (result.U > c.Count * b.Count / 2.0 && !(metric.AllowedIncrease > 1 && bm > 0 && cm <= bm * metric.AllowedIncrease))
            {
                verdict = Verdicts.High;
            }
            else if (result.U < c.Count * b.Count / 2.0 && !(metric.AllowedDecrease < 1 && bm > 0 && cm >= bm * metric.AllowedDecrease))
            {
                verdict = Verdicts.Low;
            }
        }

        var passed = verdict switch
        {
            Verdicts.High => metric.Direction == Directions.Decrease,
            Verdicts.Low => metric.Direction == Directions.Increase,
            _ => true,
        };
        return new MetricVerdict(metric.Name, verdict, passed, metric.Critical, metric.Weight, metric.Direction, result.PValue, cm, bm, c.Count, b.Count);
    }

    /// <summary>The score 0-100 of the verdicts, or null when none had data.</summary>
    public static double? Score(IReadOnlyList<MetricVerdict> verdicts)
    {
        var measured = verdicts.Where(v => v.Verdict != Verdicts.NoData).ToList();
        var total = measured.Sum(v => v.Weight);
        if (measured.Count == 0 || total <= 0)
        {
            return null;
        }

        if (measured.Any(v => v.Critical && !v.Passed))
        {
            return 0;
        }

        return Math.Round(100 * measured.Where(v => v.Passed).Sum(v => v.Weight) / total, 1);
    }

    public static string Outcome(double? score, ScoreThresholds thresholds) => score switch
    {
        null => JudgementOutcomes.NoData,
        { } s when s >= thresholds.Pass => JudgementOutcomes.Pass,
        { } s when s >= thresholds.Marginal => JudgementOutcomes.Marginal,
        _ => JudgementOutcomes.Fail,
    };
}
