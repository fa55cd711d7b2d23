using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Notifications;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Deployments;

/// <summary>Canary analysis against a real Prometheus scraping metrics the test controls.</summary>
[Collection(AzuriteReleasesCollection.Name)]
public class CanaryPrometheusTests(AzuriteFixture azurite, PrometheusFixture prometheus) : IClassFixture<PrometheusFixture>
{
    [Fact]
    public async Task A_canary_whose_error_rate_crosses_the_threshold_at_its_second_step_rolls_back_by_itself()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Metrics:Provider"] = "prometheus",
            ["Metrics:PrometheusUrl"] = prometheus.Url,
            ["Deployments:AnalysisWindow"] = "5s",
            ["Deployments:AnalysisInterval"] = "00:00:01",
            ["Deployments:AnalysisCount"] = "3",
        });
        var name = $"checkout-{Guid.NewGuid().ToString("N")[..6]}";
        h.Components.Add(name, """
            - name: prod
              strategy:
                type: canary
                steps:
                  - setWeight: 20
                  - analysis: {templates: [success-rate, latency-p99]}
                  - setWeight: 50
                  - pause: {duration: 15s}
                  - analysis: {templates: [success-rate, latency-p99], failureLimit: 0}
                  - setWeight: 100
            """);
        var repo = new RepoRef("deployments", $"{name}-deploy");

        // Both versions serve healthy traffic from the start, so Prometheus has series to rate by the first analysis.
        prometheus.Metrics.Set(name, name, "1.0.0", rps: 100, errorRate: 0.001, latencySeconds: 0.05);
        prometheus.Metrics.Set(name, name, "2.0.0", rps: 40, errorRate: 0.001, latencySeconds: 0.05);
        await Eventually.ValueAsync(async () => await prometheus.QueryAsync($"sum(rate(http_requests_total{{app=\"{name}\",version=\"2.0.0\"}}[5s]))") is { } rate ? (object)rate : null, TimeSpan.FromSeconds(30), "Prometheus to rate the canary's traffic");
        var first = await h.DeployAsync(name, "prod", "1.0.0");
        await h.WaitForStatusAsync(first.DeploymentId, DeploymentStatuses.Succeeded);
        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;

        // The pause after the 50% step is the window in which the canary's errors start (without it, a quick run can
        // finish the second analysis before the test has seen the step and changed the metrics).
        var secondStep = await h.WaitForAsync(id, r => r.Release is { CurrentStep: 4, Weights.Canary: 50 }, "to pause after its second set-weight step (50%)");
        prometheus.Metrics.Set(name, name, "2.0.0", rps: 40, errorRate: 0.4, latencySeconds: 0.05);
        var rolledBack = await h.WaitForStatusAsync(id, DeploymentStatuses.RolledBack, seconds: 90);

        Assert.All(secondStep.Release!.Analysis, a => Assert.Equal(AnalysisOutcomes.Successful, a.Result));
        Assert.Equal(6, secondStep.Release.Analysis.Count);
        var failure = Assert.Single(rolledBack.Release!.Analysis, a => a.Result == AnalysisOutcomes.Failed);
        Assert.Equal("success-rate", failure.Metric);
        Assert.True(failure.Value < 0.99, $"the failed success rate was {failure.Value}");
        Assert.Contains("success-rate", rolledBack.Message, StringComparison.Ordinal);
        Assert.Equal(new TrafficWeights(100, 0), rolledBack.Release.Weights);

        var desired = (await h.DesiredAsync(repo, "prod"))!;
        Assert.Equal(("1.0.0", 100), (desired.Find(Tracks.Stable)!.Version, desired.Find(Tracks.Stable)!.Weight));
        Assert.Equal(("2.0.0", 0), (desired.Find(Tracks.Canary)!.Version, desired.Find(Tracks.Canary)!.Weight));
        var route = System.Text.Encoding.UTF8.GetString((await h.Git.ReadFileAsync(repo, "prod/httproute.yaml", "main", CancellationToken.None))!);
        Assert.Contains($"- name: {name}-canary\n          port: 80\n          weight: 0", route, StringComparison.Ordinal);
        var commits = await h.CommitsOfAsync(repo, id);
        Assert.Equal(3, commits.Count);
        Assert.StartsWith($"Roll back canary {name} 2.0.0 in prod: 1.0.0 at 100%, canary at weight 0 (analysis failed", commits[^1].Message, StringComparison.Ordinal);
        await h.NotifiedAsync(NotificationEvents.DeploymentRolledBack, id);
    }
}
