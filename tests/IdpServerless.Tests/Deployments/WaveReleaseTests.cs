using System.Text.Json;
using IdpServerless.Functions.Clusters.Simulated;
using IdpServerless.Functions.Delivery;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Git;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IdpServerless.Tests.Deployments;

/// <summary>Releases that go wave by wave over the two simulated clusters (local-east, then local-west).</summary>
[Collection(AzuriteReleasesCollection.Name)]
public class WaveReleaseTests(AzuriteFixture azurite)
{
    private const string East = "local-east";
    private const string West = "local-west";

    /// <summary>A canary at 50% then 100% in wave <c>first</c> (east), then in wave <c>rest</c> (west).</summary>
    private const string TwoWaveCanary = """
        - name: prod
          clusters: [local-east, local-west]
          strategy: {type: canary, steps: [{setWeight: 50}, {setWeight: 100}]}
          waves:
            - {name: first, clusters: [local-east]}
            - {name: rest, clusters: [local-west]}
        """;

    private static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..6]}";

    [Fact]
    public async Task A_two_wave_canary_shows_each_cluster_per_wave_while_paused_between_waves_and_ends_with_both_clusters_on_the_new_version()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("orders");
        h.Components.Add(name, """
            - name: prod
              clusters: [local-east, local-west]
              strategy:
                type: canary
                steps:
                  - setWeight: 50
                  - analysis: {templates: [success-rate]}
              pauseBetweenWaves: true
              waves:
                - {name: canary-region, clusters: [local-east]}
                - {name: rest, clusters: [local-west], analysis: {templates: [success-rate, latency-p99]}}
            """);
        var repo = new RepoRef("deployments", $"{name}-deploy");
        var first = (await h.DeployAsync(name, "prod", "1.0.0")).DeploymentId;
        await h.WaitForAsync(first, r => r.Status == DeploymentStatuses.Paused && r.Clusters?[0].State == WaveStates.Succeeded, "to pause after the first wave");
        await h.ControlAsync(first, DeploymentControls.Promote);
        await h.WaitForStatusAsync(first, DeploymentStatuses.Succeeded);

        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;
        var between = await h.WaitForAsync(id, r => r.Status == DeploymentStatuses.Paused && r.Clusters?[0].State == WaveStates.Succeeded, "to pause between the waves");
        var westBetween = await DesiredAsync(h, repo, West);
        var westWorkloads = h.Fleet.Get(West).Workloads(name, name);
        var http = await h.SignInAsync("jane");
        var api = JsonDocument.Parse(await http.GetStringAsync($"/api/deployments/{id}")).RootElement.GetProperty("clusters");
        await h.ControlAsync(id, DeploymentControls.Promote);
        var done = await h.WaitForStatusAsync(id, DeploymentStatuses.Succeeded);

        // Between the waves: the first wave's cluster runs 2.0.0, the second's still runs 1.0.0, in Git and in the cluster.
        var (east, west) = (between.Clusters![0], between.Clusters[1]);
        Assert.Equal((East, "canary-region", 1, WaveStates.Succeeded, "2.0.0"), (east.Cluster, east.Wave, east.WaveIndex, east.State, east.Version));
        Assert.Equal((West, "rest", 2, WaveStates.Waiting, "1.0.0"), (west.Cluster, west.Wave, west.WaveIndex, west.State, west.Version));
        Assert.Equal(("Synced", "Healthy"), (east.Sync, east.Health));
        Assert.Equal(("2.0.0", 100), (Assert.Single(east.Tracks).Version, east.Tracks[0].Weight));
        Assert.Equal(("1.0.0", 100), (westBetween!.ServingVersion, Assert.Single(westBetween.Tracks).Weight));
        Assert.All(westWorkloads, w => Assert.Equal("1.0.0", w.Version));
        Assert.Equal(
            [(East, "canary-region", "Succeeded", "2.0.0"), (West, "rest", "Waiting", "1.0.0")],
            api.EnumerateArray().Select(c => (c.GetProperty("cluster").GetString(), c.GetProperty("wave").GetString(), c.GetProperty("state").GetString(), c.GetProperty("version").GetString())));

        // At the end: both clusters on 2.0.0, each at the head of the repository and healthy, as the record says.
        var head = await h.Git.GetHeadAsync(repo, "main", CancellationToken.None);
        Assert.All(done.Clusters!, c => Assert.Equal((WaveStates.Succeeded, "2.0.0", head, "Healthy"), (c.State, c.Version, c.Revision, c.Health)));
        Assert.Equal("1.0.0", done.PreviousVersion);
        Assert.Contains("(2 waves)", done.Message, StringComparison.Ordinal);
        foreach (var cluster in new[] { East, West })
        {
            Assert.Equal("2.0.0", (await DesiredAsync(h, repo, cluster))!.ServingVersion);
            await Eventually.TrueAsync(() => Task.FromResult(h.Fleet.Get(cluster).Workloads(name, name) is [{ Version: "2.0.0", Status: "Healthy" }]), TimeSpan.FromSeconds(10), $"{cluster} on 2.0.0 only");
        }

        // One folder per cluster; the environment's own folder is not written for an environment with waves.
        var files = await h.Git.ListFilesAsync(repo, "prod", "main", CancellationToken.None);
        Assert.Equal(
            ["prod/clusters/local-east/httproute.yaml", "prod/clusters/local-east/values.yaml", "prod/clusters/local-east/workloads.yaml",
             "prod/clusters/local-west/httproute.yaml", "prod/clusters/local-west/values.yaml", "prod/clusters/local-west/workloads.yaml"],
            files.Order(StringComparer.Ordinal));

        // The canary ran in each wave on that wave's cluster alone: weight 50 and promote on east, then on west.
        var commits = await h.CommitsOfAsync(repo, id);
        Assert.Equal(4, commits.Count);
        Assert.Equal([1, 2, 3, 4], commits.Select(c => GitOpsWriter.ReadStep(c.Message)));
        Assert.Contains(done.Steps, s => s.Name == "analysis wave rest: success-rate, latency-p99" && s.Status == "Succeeded");
    }

    [Fact]
    public async Task A_second_wave_whose_workloads_crash_rolls_back_both_waves_so_git_and_both_clusters_serve_the_stable_version()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("billing");
        h.Components.Add(name, TwoWaveCanary);
        var repo = new RepoRef("deployments", $"{name}-deploy");
        var first = (await h.DeployAsync(name, "prod", "1.0.0")).DeploymentId;
        await h.WaitForStatusAsync(first, DeploymentStatuses.Succeeded);
        h.Fleet.Get(West).AddFault(new SimulatedFault("2.0.0", name, Unhealthy: true, ErrorRate: null, LatencySeconds: null));

        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;
        var rolledBack = await h.WaitForStatusAsync(id, DeploymentStatuses.RolledBack);

        Assert.StartsWith("wave rest: rollout is degraded", rolledBack.Message, StringComparison.Ordinal);
        Assert.All(rolledBack.Clusters!, c => Assert.Equal((WaveStates.RolledBack, "1.0.0"), (c.State, c.Version)));
        var eastDesired = (await DesiredAsync(h, repo, East))!;
        Assert.Equal(("1.0.0", 100), (Assert.Single(eastDesired.Tracks).Version, eastDesired.Tracks[0].Weight));
        var westDesired = (await DesiredAsync(h, repo, West))!;
        Assert.Equal(("1.0.0", 100), (westDesired.Find(Tracks.Stable)!.Version, westDesired.Find(Tracks.Stable)!.Weight));
        Assert.Equal(("2.0.0", 0, 0), (westDesired.Find(Tracks.Canary)!.Version, westDesired.Find(Tracks.Canary)!.Weight, westDesired.Find(Tracks.Canary)!.Replicas));

        // East went all the way to 2.0.0 before west failed; the last commit puts it back.
        var commits = (await h.CommitsOfAsync(repo, id)).Select(c => c.Message.Split('\n')[0]).ToList();
        Assert.Equal(6, commits.Count);
        Assert.StartsWith($"Promote {name} 2.0.0 in prod: 100%", commits[2], StringComparison.Ordinal);
        Assert.StartsWith($"Roll back canary {name} 2.0.0 in prod: 1.0.0 at 100%", commits[4], StringComparison.Ordinal);
        Assert.StartsWith($"Revert {name} in prod to 1.0.0 (wave rest: rollout is degraded", commits[5], StringComparison.Ordinal);

        // Both clusters applied the head commit and serve 1.0.0 only.
        var head = await h.Git.GetHeadAsync(repo, "main", CancellationToken.None);
        foreach (var cluster in new[] { East, West })
        {
            var c = h.Fleet.Get(cluster);
            Assert.Equal(head, c.AppliedRevision(name, name));
            await Eventually.TrueAsync(() => Task.FromResult(
                c.Traffic().Where(t => t.App == name).ToDictionary(t => t.Version, t => t.RequestsPerSecond) is var traffic &&
                traffic.GetValueOrDefault("2.0.0") == 0 && traffic.GetValueOrDefault("1.0.0") > 0), TimeSpan.FromSeconds(10), $"{cluster} to serve 1.0.0 only");
        }

        Assert.All(rolledBack.Clusters!, c => Assert.Equal(head, c.Revision));
    }

    [Fact]
    public async Task An_activity_failing_past_its_retries_in_the_second_wave_puts_both_waves_back_and_records_the_release_failed()
    {
        var name = Unique("ledger");
        var repo = new RepoRef("deployments", $"{name}-deploy");
        // West's CD API answers 503 for as long as its folder asks for 2.0.0: the wave's rollout check fails past its retries.
        await using var h = await DeploymentHarness.StartAsync(azurite, services: s =>
        {
            s.RemoveAll<ICdProvider>();
            s.AddSingleton<LocalReconciler>();
            s.AddSingleton<ICdProvider>(p => new OutageWhileNewVersion(p.GetRequiredService<LocalReconciler>(), p.GetRequiredService<IGitProvider>(), repo, West, "2.0.0"));
        });
        h.Components.Add(name, TwoWaveCanary);
        var first = (await h.DeployAsync(name, "prod", "1.0.0")).DeploymentId;
        await h.WaitForStatusAsync(first, DeploymentStatuses.Succeeded);

        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;
        var failed = await h.WaitForStatusAsync(id, DeploymentStatuses.Failed, seconds: 120);

        Assert.StartsWith("wave rest: DeploymentCheckWaveRollout failed:", failed.Message, StringComparison.Ordinal);
        Assert.Contains("503", failed.Message, StringComparison.Ordinal);
        Assert.All(failed.Clusters!, c => Assert.Equal((WaveStates.RolledBack, "1.0.0"), (c.State, c.Version)));
        Assert.Contains(failed.Steps, s => s.Name == "revert" && s.Status == "Succeeded");
        var commits = (await h.CommitsOfAsync(repo, id)).Select(c => c.Message.Split('\n')[0]).ToList();
        Assert.StartsWith($"Revert {name} in prod to 1.0.0 (wave rest: DeploymentCheckWaveRollout failed", commits[^1], StringComparison.Ordinal);
        var head = await h.Git.GetHeadAsync(repo, "main", CancellationToken.None);
        foreach (var cluster in new[] { East, West })
        {
            Assert.Equal("1.0.0", Assert.Single((await DesiredAsync(h, repo, cluster))!.Tracks).Version);
            Assert.Equal(head, h.Fleet.Get(cluster).AppliedRevision(name, name));
            await Eventually.TrueAsync(() => Task.FromResult(h.Fleet.Get(cluster).Workloads(name, name) is [{ Version: "1.0.0", Status: "Healthy" }]), TimeSpan.FromSeconds(10), $"{cluster} on 1.0.0");
        }
    }

    [Fact]
    public async Task A_failed_analysis_of_the_second_wave_rolls_back_both_waves()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("ledger");
        h.Components.Add(name, """
            - name: prod
              clusters: [local-east, local-west]
              waves:
                - {name: first, clusters: [local-east], analysis: {templates: [success-rate]}}
                - {name: rest, clusters: [local-west], analysis: {templates: [success-rate]}}
            """);
        var repo = new RepoRef("deployments", $"{name}-deploy");
        var first = (await h.DeployAsync(name, "prod", "1.0.0")).DeploymentId;
        await h.WaitForStatusAsync(first, DeploymentStatuses.Succeeded);
        h.Fleet.Get(West).AddFault(new SimulatedFault("2.0.0", name, Unhealthy: false, ErrorRate: 0.5, LatencySeconds: null));

        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;
        var rolledBack = await h.WaitForStatusAsync(id, DeploymentStatuses.RolledBack);

        Assert.StartsWith("wave rest: analysis failed (wave rest): success-rate", rolledBack.Message, StringComparison.Ordinal);
        Assert.Contains(rolledBack.Release!.Analysis, a => a.Result == AnalysisOutcomes.Failed && a.Metric == "success-rate" && a.Value == 0.5);
        Assert.Equal(2, rolledBack.Release!.Analysis.Count(a => a.Result == AnalysisOutcomes.Successful));
        Assert.Equal("success-rate", Assert.Single(rolledBack.Release.Analysis, a => a.Result == AnalysisOutcomes.Failed).Metric);
        Assert.All(rolledBack.Clusters!, c => Assert.Equal((WaveStates.RolledBack, "1.0.0"), (c.State, c.Version)));
        foreach (var cluster in new[] { East, West })
        {
            Assert.Equal("1.0.0", Assert.Single((await DesiredAsync(h, repo, cluster))!.Tracks).Version);
            await Eventually.TrueAsync(() => Task.FromResult(h.Fleet.Get(cluster).Workloads(name, name) is [{ Version: "1.0.0", Status: "Healthy" }]), TimeSpan.FromSeconds(10), $"{cluster} back on 1.0.0");
        }

        var commits = (await h.CommitsOfAsync(repo, id)).Select(c => c.Message.Split('\n')[0]).ToList();
        Assert.Equal([$"Deploy {name} 2.0.0 to prod", $"Deploy {name} 2.0.0 to prod"], commits.Take(2));
        Assert.StartsWith($"Revert {name} in prod to 1.0.0 (wave rest: analysis failed", Assert.Single(commits.Skip(2)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_starts_the_next_wave_and_abort_in_the_pause_between_waves_puts_the_first_wave_back()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("profile");
        h.Components.Add(name, """
            - name: prod
              clusters: [local-east, local-west]
              pauseBetweenWaves: true
              waves:
                - {name: first, clusters: [local-east]}
                - {name: rest, clusters: [local-west]}
            """);
        var repo = new RepoRef("deployments", $"{name}-deploy");
        var first = (await h.DeployAsync(name, "prod", "1.0.0")).DeploymentId;
        await h.WaitForAsync(first, r => r.Status == DeploymentStatuses.Paused && r.Clusters?[0].State == WaveStates.Succeeded, "to pause after the first wave");
        await h.ControlAsync(first, DeploymentControls.Resume);
        var firstDone = await h.WaitForStatusAsync(first, DeploymentStatuses.Succeeded);

        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;
        var paused = await h.WaitForAsync(id, r => r.Status == DeploymentStatuses.Paused && r.Clusters?[0].State == WaveStates.Succeeded, "to pause between the waves");
        await h.ControlAsync(id, DeploymentControls.Abort, comment: "wrong build");
        var aborted = await h.WaitForStatusAsync(id, DeploymentStatuses.Aborted);

        Assert.All(firstDone.Clusters!, c => Assert.Equal((WaveStates.Succeeded, "1.0.0"), (c.State, c.Version)));
        Assert.Equal([("local-east", "2.0.0"), ("local-west", "1.0.0")], paused.Clusters!.Select(c => (c.Cluster, c.Version)));
        Assert.Equal("wave first: aborted by user:default/jane: wrong build", aborted.Message);
        Assert.Equal([(East, WaveStates.RolledBack, "1.0.0"), (West, WaveStates.Waiting, "1.0.0")], aborted.Clusters!.Select(c => (c.Cluster, c.State, c.Version)));
        var commits = (await h.CommitsOfAsync(repo, id)).Select(c => c.Message.Split('\n')[0]).ToList();
        Assert.Equal([$"Deploy {name} 2.0.0 to prod", $"Revert {name} in prod to 1.0.0 (wave first: aborted by user:default/jane: wrong build)"], commits);
        foreach (var cluster in new[] { East, West })
        {
            Assert.Equal("1.0.0", Assert.Single((await DesiredAsync(h, repo, cluster))!.Tracks).Version);
            await Eventually.TrueAsync(() => Task.FromResult(h.Fleet.Get(cluster).Workloads(name, name) is [{ Version: "1.0.0", Status: "Healthy" }]), TimeSpan.FromSeconds(10), $"{cluster} on 1.0.0");
        }
    }

    private static async Task<DesiredState?> DesiredAsync(DeploymentHarness h, RepoRef repo, string cluster) =>
        DesiredStateFiles.ParseValues(await h.Git.ReadFileAsync(repo, $"prod/clusters/{cluster}/{DesiredStateFiles.Values}", "main", CancellationToken.None));

    /// <summary>The local CD provider, with one cluster's API down for as long as its folder names <paramref name="version"/>.</summary>
    private sealed class OutageWhileNewVersion(ICdProvider inner, IGitProvider git, RepoRef repo, string cluster, string version) : ICdProvider
    {
        public async Task<CdApplicationStatus> GetStatusAsync(CdApplication application, CancellationToken cancellationToken)
        {
            await ThrowIfDownAsync(application, cancellationToken);
            return await inner.GetStatusAsync(application, cancellationToken);
        }

        public async Task SyncAsync(CdApplication application, CancellationToken cancellationToken)
        {
            await ThrowIfDownAsync(application, cancellationToken);
            await inner.SyncAsync(application, cancellationToken);
        }

        private async Task ThrowIfDownAsync(CdApplication application, CancellationToken cancellationToken)
        {
            if (application.Destinations[0].Name != cluster)
            {
                return;
            }

            var desired = DesiredStateFiles.ParseValues(await git.ReadFileAsync(repo, $"prod/clusters/{cluster}/{DesiredStateFiles.Values}", "main", cancellationToken));
            if (desired?.Tracks.Any(t => t.Version == version) == true)
            {
                throw new HttpRequestException($"503 Service Unavailable from {cluster}'s API", null, System.Net.HttpStatusCode.ServiceUnavailable);
            }
        }
    }
}
