using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Notifications;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Deployments;

/// <summary>A wave's own analysis against a real Prometheus scraping metrics the test controls.</summary>
[Collection(AzuriteReleasesCollection.Name)]
public class WavePrometheusTests(AzuriteFixture azurite, PrometheusFixture prometheus) : IClassFixture<PrometheusFixture>
{
    [Fact]
    public async Task A_second_wave_whose_analysis_fails_on_prometheus_leaves_both_clusters_and_git_at_the_stable_version()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Metrics:Provider"] = "prometheus",
            ["Metrics:PrometheusUrl"] = prometheus.Url,
            ["Deployments:AnalysisWindow"] = "5s",
            ["Deployments:AnalysisInterval"] = "00:00:01",
            ["Deployments:AnalysisCount"] = "2",
        });
        var name = $"wallet-{Guid.NewGuid().ToString("N")[..6]}";
        h.Components.Add(name, """
            - name: prod
              clusters: [local-east, local-west]
              waves:
                - {name: first, clusters: [local-east]}
                - {name: rest, clusters: [local-west], analysis: {templates: [success-rate]}}
            """);
        var repo = new RepoRef("deployments", $"{name}-deploy");
        prometheus.Metrics.Set(name, name, "1.0.0", rps: 100, errorRate: 0.001, latencySeconds: 0.05);
        prometheus.Metrics.Set(name, name, "2.0.0", rps: 100, errorRate: 0.3, latencySeconds: 0.05);
        await Eventually.ValueAsync(async () => await prometheus.QueryAsync($"sum(rate(http_requests_total{{app=\"{name}\",version=\"2.0.0\"}}[5s]))") is { } rate ? (object)rate : null, TimeSpan.FromSeconds(30), "Prometheus to rate 2.0.0's traffic");
        var first = await h.DeployAsync(name, "prod", "1.0.0");
        await h.WaitForStatusAsync(first.DeploymentId, DeploymentStatuses.Succeeded);

        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;
        var rolledBack = await h.WaitForStatusAsync(id, DeploymentStatuses.RolledBack, seconds: 90);

        Assert.StartsWith("wave rest: analysis failed (wave rest): success-rate", rolledBack.Message, StringComparison.Ordinal);
        var failure = Assert.Single(rolledBack.Release!.Analysis);
        Assert.Equal((AnalysisOutcomes.Failed, "success-rate"), (failure.Result, failure.Metric));
        Assert.InRange(failure.Value!.Value, 0.6, 0.8);
        foreach (var cluster in new[] { "local-east", "local-west" })
        {
            var desired = DesiredStateFiles.ParseValues(await h.Git.ReadFileAsync(repo, $"prod/clusters/{cluster}/values.yaml", "main", CancellationToken.None))!;
            Assert.Equal("1.0.0", Assert.Single(desired.Tracks).Version);
            await Eventually.TrueAsync(() => Task.FromResult(h.Fleet.Get(cluster).Workloads(name, name) is [{ Version: "1.0.0", Status: "Healthy" }]), TimeSpan.FromSeconds(10), $"{cluster} back on 1.0.0");
        }

        Assert.All(rolledBack.Clusters!, c => Assert.Equal((WaveStates.RolledBack, "1.0.0"), (c.State, c.Version)));
        Assert.StartsWith($"Revert {name} in prod to 1.0.0 (wave rest: analysis failed", (await h.CommitsOfAsync(repo, id))[^1].Message, StringComparison.Ordinal);
        await h.NotifiedAsync(NotificationEvents.DeploymentRolledBack, id);
    }
}
