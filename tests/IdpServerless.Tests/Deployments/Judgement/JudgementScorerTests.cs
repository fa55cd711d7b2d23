using IdpServerless.Functions.Deployments.Judgement;

namespace IdpServerless.Tests.Deployments.Judgement;

public class JudgementScorerTests
{
    private static readonly double[] Low = [0.001, 0.002, 0.001, 0.0015, 0.001, 0.002, 0.001, 0.0012];
    private static readonly double[] High = [0.008, 0.009, 0.0085, 0.0095, 0.008, 0.0088, 0.0091, 0.0083];
    private readonly JudgementScorer _scorer = new(new MannWhitneyU());

    private static JudgementMetric Metric(string direction = Directions.Increase, bool critical = false, double weight = 1, double allowedIncrease = 1) =>
        new("error-rate", "q{{track}}", direction, weight, critical, allowedIncrease);

    [Fact]
    public void A_canary_higher_than_its_baseline_is_high_and_fails_when_increase_is_bad()
    {
        var v = _scorer.Classify(Metric(), High, Low, 0.05);

        Assert.Equal(Verdicts.High, v.Verdict);
        Assert.False(v.Passed);
        Assert.True(v.PValue < 0.01, $"p = {v.PValue}");
        Assert.Equal(0.00865, v.CanaryMedian!.Value, 1e-9);
        Assert.Equal(0.0011, v.BaselineMedian!.Value, 1e-9);
    }

    [Fact]
    public void Direction_decides_which_way_is_bad()
    {
        Assert.True(_scorer.Classify(Metric(Directions.Decrease), High, Low, 0.05).Passed);
        Assert.Equal(Verdicts.Low, _scorer.Classify(Metric(Directions.Decrease), Low, High, 0.05).Verdict);
        Assert.False(_scorer.Classify(Metric(Directions.Decrease), Low, High, 0.05).Passed);
        Assert.False(_scorer.Classify(Metric(Directions.Either), Low, High, 0.05).Passed);
        Assert.True(_scorer.Classify(Metric(Directions.Increase), Low, High, 0.05).Passed);
    }

    [Fact]
    public void An_allowed_effect_size_tolerates_a_significant_but_small_increase()
    {
        double[] canary = [1.05, 1.06, 1.05, 1.07, 1.06, 1.05];
        double[] baseline = [1.0, 1.01, 1.0, 1.02, 1.01, 1.0];

        Assert.Equal(Verdicts.High, _scorer.Classify(Metric(), canary, baseline, 0.05).Verdict);
        Assert.Equal(Verdicts.Pass, _scorer.Classify(Metric(allowedIncrease: 1.1), canary, baseline, 0.05).Verdict);
    }

    [Fact]
    public void Too_few_samples_or_NaN_only_is_nodata_and_left_out_of_the_score()
    {
        var nodata = _scorer.Classify(Metric(), [double.NaN, double.NaN, 0.1, 0.1], Low, 0.05);
        var pass = _scorer.Classify(Metric() with { Name = "latency" }, Low, Low, 0.05);

        Assert.Equal(Verdicts.NoData, nodata.Verdict);
        Assert.Equal(2, nodata.CanarySamples);
        Assert.Equal(100, JudgementScorer.Score([nodata, pass]));
        Assert.Null(JudgementScorer.Score([nodata]));
        Assert.Equal(JudgementOutcomes.NoData, JudgementScorer.Outcome(null, new ScoreThresholds(75, 50)));
    }

    [Fact]
    public void The_score_is_the_weighted_share_of_passing_metrics_and_a_failing_critical_metric_makes_it_zero()
    {
        var failing = _scorer.Classify(Metric(weight: 1), High, Low, 0.05);
        var passing = _scorer.Classify(Metric(weight: 3) with { Name = "latency" }, Low, Low, 0.05);
        var critical = _scorer.Classify(Metric(critical: true, weight: 1), High, Low, 0.05);
        var t = new ScoreThresholds(75, 50);

        Assert.Equal(75, JudgementScorer.Score([failing, passing]));
        Assert.Equal(JudgementOutcomes.Pass, JudgementScorer.Outcome(75, t));
        Assert.Equal(JudgementOutcomes.Marginal, JudgementScorer.Outcome(74.9, t));
        Assert.Equal(JudgementOutcomes.Fail, JudgementScorer.Outcome(49.9, t));
        Assert.Equal(0, JudgementScorer.Score([critical, passing]));
    }
}
