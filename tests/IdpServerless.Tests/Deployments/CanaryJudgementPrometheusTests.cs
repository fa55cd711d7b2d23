using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Judgement;
using IdpServerless.Functions.Git;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Deployments;

/// <summary>The canary-versus-baseline judgement against a real Prometheus scraping per-track metrics the test controls.</summary>
[Collection(AzuriteReleasesCollection.Name)]
public class CanaryJudgementPrometheusTests(AzuriteFixture azurite, PrometheusFixture prometheus) : IClassFixture<PrometheusFixture>
{
    // The absolute success-rate analysis runs first: both canaries pass it (99.5% >= 99%), only the judgement tells them apart.
    private const string Environments = """
        - name: prod
          replicas: 4
          strategy:
            type: canary
            steps:
              - setWeight: 20
              - analysis: {templates: [success-rate]}
              - judgement:
                  interval: 1s
                  lifetime: 12s
                  scoreThresholds: {pass: 75, marginal: 50}
                  metrics:
                    - {name: error-rate, weight: ERRORS_WEIGHT}
                    - {name: latency-p99, weight: 1}
              - setWeight: 50
        """;

    private Task<DeploymentHarness> StartAsync() => DeploymentHarness.StartAsync(azurite, new Dictionary<string, string?>
    {
        ["Metrics:Provider"] = "prometheus",
        ["Metrics:PrometheusUrl"] = prometheus.Url,
        ["Deployments:AnalysisWindow"] = "5s",
    });

    private async Task<(string Id, RepoRef Repo)> ReleaseAsync(DeploymentHarness h, string name, int errorsWeight = 3)
    {
        h.Components.Add(name, Environments.Replace("ERRORS_WEIGHT", errorsWeight.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        await Eventually.ValueAsync(async () => await prometheus.QueryAsync($"sum(rate(http_requests_total{{app=\"{name}\",track=\"canary\"}}[5s]))") is { } rate ? (object)rate : null, TimeSpan.FromSeconds(30), "Prometheus to rate the canary's traffic");
        await Eventually.ValueAsync(async () => await prometheus.QueryAsync($"sum(rate(http_requests_total{{app=\"{name}\",track=\"baseline\"}}[5s]))") is { } rate ? (object)rate : null, TimeSpan.FromSeconds(30), "Prometheus to rate the baseline's traffic");
        await h.WaitForStatusAsync((await h.DeployAsync(name, "prod", "1.0.0")).DeploymentId, DeploymentStatuses.Succeeded);
        return ((await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId, new RepoRef("deployments", $"{name}-deploy"));
    }

    [Fact]
    public async Task A_canary_with_more_errors_than_its_baseline_scores_below_the_pass_mark_and_rolls_back_though_under_the_absolute_threshold()
    {
        await using var h = await StartAsync();
        var name = $"orders-{Guid.NewGuid().ToString("N")[..6]}";
        prometheus.Metrics.Set(name, name, "1.0.0", rps: 100, errorRate: 0.0005, latencySeconds: 0.05, track: Tracks.Stable);
        prometheus.Metrics.Set(name, name, "1.0.0", rps: 100, errorRate: 0.0005, latencySeconds: 0.05, track: Tracks.Baseline);
        prometheus.Metrics.Set(name, name, "2.0.0", rps: 100, errorRate: 0.005, latencySeconds: 0.05, track: Tracks.Canary);

        var (id, repo) = await ReleaseAsync(h, name);
        var rolledBack = await h.WaitForStatusAsync(id, DeploymentStatuses.RolledBack, seconds: 90);
        var commits = await h.CommitsOfAsync(repo, id);
        var during = DesiredStateFiles.ParseValues(await h.Git.ReadFileAsync(repo, "prod/values.yaml", commits[0].Sha, CancellationToken.None))!;
        var after = (await h.DesiredAsync(repo, "prod"))!;

        var analysis = Assert.Single(rolledBack.Release!.Analysis.Select(a => (a.Metric, a.Result)).Distinct());
        Assert.Equal(("success-rate", AnalysisOutcomes.Successful), analysis);
        var j = rolledBack.Release.Judgement!;
        Assert.Equal((25d, JudgementOutcomes.Fail), (j.Score, j.Outcome));
        var errors = Assert.Single(j.Metrics, m => m.Metric == "error-rate");
        Assert.Equal((Verdicts.High, false), (errors.Verdict, errors.Passed));
        Assert.True(errors.PValue < 0.05, $"p = {errors.PValue}");
        Assert.True(errors.CanaryMedian > 2 * errors.BaselineMedian, $"canary median {errors.CanaryMedian}, baseline {errors.BaselineMedian}");
        Assert.True(errors.CanarySamples >= 10 && errors.BaselineSamples >= 10, $"{errors.CanarySamples} and {errors.BaselineSamples} samples");
        Assert.Equal((Verdicts.Pass, true), (j.Metrics.Single(m => m.Metric == "latency-p99").Verdict, j.Metrics.Single(m => m.Metric == "latency-p99").Passed));
        Assert.Contains("judgement score 25 (pass 75, marginal 50): error-rate high", rolledBack.Message, StringComparison.Ordinal);

        // The baseline ran beside the canary at its size and weight, and went with the rollback.
        Assert.Equal(new Track(Tracks.Baseline, "1.0.0", 1, 20), during.Find(Tracks.Baseline));
        Assert.Equal((60, 20), (during.Find(Tracks.Stable)!.Weight, during.Find(Tracks.Canary)!.Weight));
        Assert.Null(after.Find(Tracks.Baseline));
        Assert.Equal(("1.0.0", 100), (after.Find(Tracks.Stable)!.Version, after.Find(Tracks.Stable)!.Weight));
        Assert.StartsWith($"Roll back canary {name} 2.0.0 in prod: 1.0.0 at 100%, canary at weight 0 (judgement score 25", commits[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_canary_that_behaves_exactly_like_its_baseline_scores_100_and_is_promoted()
    {
        await using var h = await StartAsync();
        var name = $"orders-{Guid.NewGuid().ToString("N")[..6]}";
        prometheus.Metrics.Set(name, name, "1.0.0", rps: 100, errorRate: 0.005, latencySeconds: 0.05, track: Tracks.Stable);
        prometheus.Metrics.SetAlike(name, name, rps: 100, errorRate: 0.005, latencySeconds: 0.2, ("2.0.0", Tracks.Canary), ("1.0.0", Tracks.Baseline));

        var (id, repo) = await ReleaseAsync(h, name);
        var promoted = await h.WaitForStatusAsync(id, DeploymentStatuses.Succeeded, seconds: 90);
        var after = (await h.DesiredAsync(repo, "prod"))!;

        var j = promoted.Release!.Judgement!;
        Assert.Equal((100d, JudgementOutcomes.Pass), (j.Score, j.Outcome));
        Assert.All(j.Metrics, m => Assert.Equal((Verdicts.Pass, true), (m.Verdict, m.Passed)));
        Assert.All(j.Metrics, m => Assert.True(m.CanarySamples >= 10, $"{m.Metric}: {m.CanarySamples} samples"));
        Assert.True(j.Metrics.Single(m => m.Metric == "error-rate").CanaryMedian > 0, "the canary had errors, as many as its baseline");
        Assert.Contains(promoted.Steps, s => s.Name.StartsWith("judgement", StringComparison.Ordinal) && s.Status == "Succeeded");
        Assert.Equal(("2.0.0", 100), (Assert.Single(after.Tracks).Version, after.Tracks[0].Weight));
    }

    [Fact]
    public async Task A_marginal_score_pauses_for_a_human_whose_promote_lets_the_release_go_on()
    {
        await using var h = await StartAsync();
        var name = $"orders-{Guid.NewGuid().ToString("N")[..6]}";
        prometheus.Metrics.Set(name, name, "1.0.0", rps: 100, errorRate: 0.0005, latencySeconds: 0.05, track: Tracks.Stable);
        prometheus.Metrics.Set(name, name, "1.0.0", rps: 100, errorRate: 0.0005, latencySeconds: 0.05, track: Tracks.Baseline);
        prometheus.Metrics.Set(name, name, "2.0.0", rps: 100, errorRate: 0.005, latencySeconds: 0.05, track: Tracks.Canary);

        // Errors and latency weigh the same: errors high, latency alike gives 50, the marginal mark itself.
        var (id, _) = await ReleaseAsync(h, name, errorsWeight: 1);
        var paused = await h.WaitForStatusAsync(id, DeploymentStatuses.Paused, seconds: 90);
        await h.ControlAsync(id, DeploymentControls.Promote);
        var done = await h.WaitForStatusAsync(id, DeploymentStatuses.Succeeded, seconds: 90);

        Assert.Equal((50d, JudgementOutcomes.Marginal), (paused.Release!.Judgement!.Score, paused.Release.Judgement.Outcome));
        Assert.Contains(paused.Steps, s => s.Name.StartsWith("judgement", StringComparison.Ordinal) && s.Status == "Inconclusive");
        Assert.Contains("judgement score 50 (pass 75, marginal 50): error-rate high", paused.Message, StringComparison.Ordinal);
        Assert.Equal(new TrafficWeights(0, 100), done.Release!.Weights);
    }
}
