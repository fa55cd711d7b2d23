using IdpServerless.Functions.Clusters;
using IdpServerless.Functions.Clusters.Simulated;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Monitoring;
using Microsoft.Extensions.Options;

namespace IdpServerless.Tests.Deployments;

public class SimulatedClusterTests
{
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
    private readonly SimulatedClusterFleet _fleet;

    public SimulatedClusterTests() =>
        _fleet = new SimulatedClusterFleet(Options.Create(new ClusterOptions { Simulated = "local-east=eastus,local-west", ConvergenceTime = TimeSpan.FromSeconds(2), RequestsPerSecond = 100, BaselineErrorRate = 0.01 }), _time);

    private static DesiredState Canary(int weight) => DesiredState.Canary("component:shop/web", "web", "prod", "img/web", "1.0", "2.0", weight, 4);

    [Fact]
    public void A_rollout_converges_over_the_configured_time()
    {
        var east = _fleet.Get("local-east");
        east.Apply("shop", DesiredState.Rolling("component:shop/web", "web", "prod", "img/web", "1.0", 4), "sha1");

        var start = Assert.Single(east.Workloads("shop", "web"));
        _time.Advance(TimeSpan.FromSeconds(1));
        var half = Assert.Single(east.Workloads("shop", "web"));
        _time.Advance(TimeSpan.FromSeconds(1));
        var done = Assert.Single(east.Workloads("shop", "web"));

        Assert.Equal(("Progressing", 0), (start.Status, start.Replicas.Ready));
        Assert.Equal(2, half.Replicas.Ready);
        Assert.Equal(("Healthy", 4, "1.0"), (done.Status, done.Replicas.Ready, done.Version));
        Assert.Equal("eastus", east.Region);
        Assert.Equal("sha1", east.AppliedRevision("shop", "web"));
    }

    [Fact]
    public async Task An_unhealthy_version_crash_loops_and_says_so_in_events_and_alerts()
    {
        var east = _fleet.Get("local-east");
        east.AddFault(new SimulatedFault("2.0", null, Unhealthy: true, null, null));
        east.Apply("shop", Canary(25), "sha1");
        _time.Advance(TimeSpan.FromSeconds(5));

        var canary = east.Workloads("shop", "web").Single(w => w.Track == Tracks.Canary);
        var alerts = await new SimulatedMetricsProvider(_fleet, _time).GetAlertsAsync("web", null, CancellationToken.None);

        Assert.Equal(("Degraded", 0), (canary.Status, canary.Replicas.Ready));
        Assert.Contains("CrashLoopBackOff", canary.Message, StringComparison.Ordinal);
        Assert.Contains(east.Events("web"), e => e.Reason == "BackOff");
        Assert.Contains(alerts, a => a.Name == "KubePodCrashLooping" && a.Labels["version"] == "2.0");
    }

    [Fact]
    public async Task Metrics_follow_route_weights_and_injected_error_rates()
    {
        var east = _fleet.Get("local-east");
        east.Apply("shop", Canary(25), "sha1");
        _time.Advance(TimeSpan.FromSeconds(3));
        east.AddFault(new SimulatedFault("2.0", "web", false, ErrorRate: 0.3, LatencySeconds: 1.5));
        var metrics = new SimulatedMetricsProvider(_fleet, _time);

        var stable = await metrics.QueryAsync(new MetricQuery(StrategyParser.SuccessRate, "", "web", "shop", "1.0", ["local-east"]), CancellationToken.None);
        var canary = await metrics.QueryAsync(new MetricQuery(StrategyParser.SuccessRate, "", "web", "shop", "2.0", ["local-east"]), CancellationToken.None);
        var latency = await metrics.QueryAsync(new MetricQuery(StrategyParser.LatencyP99, "", "web", "shop", "2.0", ["local-east"]), CancellationToken.None);
        var traffic = east.Traffic().ToDictionary(t => t.Version);
        east.Apply("shop", Canary(0), "sha2");
        var noTraffic = await metrics.QueryAsync(new MetricQuery(StrategyParser.SuccessRate, "", "web", "shop", "2.0", ["local-east"]), CancellationToken.None);

        Assert.Equal(0.99, stable.Value);
        Assert.Equal(0.7, canary.Value!.Value, 3);
        Assert.Equal(1.5, latency.Value);
        Assert.Equal((75d, 25d), (traffic["1.0"].RequestsPerSecond, traffic["2.0"].RequestsPerSecond));
        Assert.Null(noTraffic.Value);
    }

    [Fact]
    public async Task The_provider_lists_clusters_with_capacity_and_an_unknown_cluster_is_an_error()
    {
        _fleet.Get("local-west").Apply("shop", DesiredState.Rolling("component:shop/web", "web", "prod", "img/web", "1.0", 2), "sha1");
        _time.Advance(TimeSpan.FromSeconds(3));
        var provider = new SimulatedClusterProvider(_fleet, Options.Create(new ClusterOptions()));

        var clusters = await provider.ListClustersAsync(CancellationToken.None);

        Assert.Equal(["local-east", "local-west"], clusters.Select(c => c.Name));
        Assert.True(clusters[1].Cpu.Used > clusters[0].Cpu.Used);
        await Assert.ThrowsAsync<ClusterNotFoundException>(() => provider.GetWorkloadsAsync("nowhere", "shop", "web", CancellationToken.None));
    }
}
