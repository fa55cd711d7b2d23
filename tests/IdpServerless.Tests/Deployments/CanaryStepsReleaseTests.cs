using System.Text;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Git;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Deployments;

/// <summary>setCanaryScale, setHeaderRoute and the abort scale-down delay, end to end on the simulated clusters.</summary>
[Collection(AzuriteReleasesCollection.Name)]
public class CanaryStepsReleaseTests(AzuriteFixture azurite)
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..6]}";

    private static async Task<DesiredState> AtAsync(DeploymentHarness h, RepoRef repo, GitCommit commit) =>
        DesiredStateFiles.ParseValues(await h.Git.ReadFileAsync(repo, $"prod/{DesiredStateFiles.Values}", commit.Sha, CancellationToken.None))!;

    private static async Task<string> RouteAtAsync(DeploymentHarness h, RepoRef repo, string gitRef) =>
        Encoding.UTF8.GetString((await h.Git.ReadFileAsync(repo, $"prod/{DesiredStateFiles.Route}", gitRef, CancellationToken.None))!);

    [Fact]
    public async Task A_release_scales_the_canary_without_moving_traffic_routes_a_header_to_it_and_drops_the_route_at_promotion()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("cart");
        h.Components.Add(name, """
            - name: prod
              replicas: 4
              clusters: [local-east, local-west]
              strategy:
                type: canary
                steps:
                  - setCanaryScale: {replicas: 2}
                  - setWeight: 20
                  - setHeaderRoute:
                      name: beta-testers
                      match: [{headerName: X-Canary, headerValue: {exact: "yes"}}]
                  - setCanaryScale: {weight: 75}
                  - pause: {}
                  - setCanaryScale: {matchTrafficWeight: true}
                  - setWeight: 50
            """);
        var repo = new RepoRef("deployments", $"{name}-deploy");
        await h.WaitForStatusAsync((await h.DeployAsync(name, "prod", "1.0.0")).DeploymentId, DeploymentStatuses.Succeeded);

        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;
        var paused = await h.WaitForStatusAsync(id, DeploymentStatuses.Paused);
        var commits = await h.CommitsOfAsync(repo, id);
        var states = new List<DesiredState>();
        foreach (var c in commits)
        {
            states.Add(await AtAsync(h, repo, c));
        }

        // Replicas move, traffic does not: (canary replicas, canary weight) commit by commit.
        Assert.Equal(4, commits.Count);
        Assert.Equal([(2, 0), (2, 20), (2, 20), (3, 20)], states.Select(s => (s.Find(Tracks.Canary)!.Replicas, s.Find(Tracks.Canary)!.Weight)));
        Assert.All(states, s => Assert.Equal((4, 100 - s.Find(Tracks.Canary)!.Weight), (s.Find(Tracks.Stable)!.Replicas, s.Find(Tracks.Stable)!.Weight)));
        Assert.StartsWith($"Scale canary {name} 2.0.0 in prod to 2 replica(s); traffic stays at 0%", commits[0].Message, StringComparison.Ordinal);
        Assert.StartsWith($"Header route beta-testers of {name} in prod: X-Canary exact 'yes' to canary 2.0.0", commits[2].Message, StringComparison.Ordinal);
        Assert.Null(states[1].HeaderRoutes);
        Assert.Equal("beta-testers", Assert.Single(states[2].HeaderRoutes!).Name);
        var route = await RouteAtAsync(h, repo, commits[2].Sha);
        Assert.Contains("- name: \"beta-testers\"\n      matches:\n        - headers:\n            - name: \"X-Canary\"\n              type: Exact\n              value: \"yes\"\n      backendRefs:\n        - name: " + name + "-canary\n", route, StringComparison.Ordinal);
        Assert.Equal(new TrafficWeights(80, 20), paused.Release!.Weights);

        // Both clusters run what Git says: 3 canary pods at 20% of the traffic.
        foreach (var cluster in new[] { "local-east", "local-west" })
        {
            var canary = Assert.Single(h.Fleet.Get(cluster).Workloads(name, name), w => w.Track == Tracks.Canary);
            Assert.Equal(("2.0.0", 3), (canary.Version, canary.Replicas.Desired));
        }

        await h.ControlAsync(id, DeploymentControls.Resume);
        await h.WaitForStatusAsync(id, DeploymentStatuses.Succeeded);
        var all = await h.CommitsOfAsync(repo, id);
        var matched = await AtAsync(h, repo, all[4]);
        var final = (await h.DesiredAsync(repo, "prod"))!;

        Assert.Equal(7, all.Count);
        Assert.Equal((1, 20), (matched.Find(Tracks.Canary)!.Replicas, matched.Find(Tracks.Canary)!.Weight));
        Assert.Equal((2, 50), ((await AtAsync(h, repo, all[5])).Find(Tracks.Canary)!.Replicas, (await AtAsync(h, repo, all[5])).Find(Tracks.Canary)!.Weight));
        Assert.Equal(("2.0.0", 100), (Assert.Single(final.Tracks).Version, final.Tracks[0].Weight));
        Assert.Null(final.HeaderRoutes);
        Assert.DoesNotContain("matches:", await RouteAtAsync(h, repo, "main"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_an_abort_the_canary_keeps_its_pods_for_the_abort_scale_down_delay_then_scales_to_zero_in_Git()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("pay");
        h.Components.Add(name, """
            - name: prod
              replicas: 4
              strategy:
                type: canary
                abortScaleDownDelay: 2s
                steps:
                  - setWeight: 50
                  - setHeaderRoute: {name: qa, match: [{headerName: X-QA, headerValue: {prefix: team-}}]}
                  - pause: {}
            """);
        var repo = new RepoRef("deployments", $"{name}-deploy");
        await h.WaitForStatusAsync((await h.DeployAsync(name, "prod", "1.0.0")).DeploymentId, DeploymentStatuses.Succeeded);
        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;
        await h.WaitForStatusAsync(id, DeploymentStatuses.Paused);

        await h.ControlAsync(id, DeploymentControls.Abort);
        var aborted = await h.WaitForStatusAsync(id, DeploymentStatuses.Aborted);
        var all = await h.CommitsOfAsync(repo, id);
        var abortState = await AtAsync(h, repo, all[2]);
        var final = (await h.DesiredAsync(repo, "prod"))!;

        // The abort commit: no traffic and no header route, but the canary's pods stay.
        Assert.Equal(4, all.Count);
        Assert.StartsWith($"Roll back canary {name} 2.0.0 in prod: 1.0.0 at 100%, canary at weight 0 (aborted by", all[2].Message, StringComparison.Ordinal);
        Assert.Equal((2, 0), (abortState.Find(Tracks.Canary)!.Replicas, abortState.Find(Tracks.Canary)!.Weight));
        Assert.Equal(100, abortState.Find(Tracks.Stable)!.Weight);
        Assert.Null(abortState.HeaderRoutes);

        // After the delay: a second commit scales the canary to 0, and the cluster scaled it then, not at the abort.
        Assert.StartsWith($"Scale down canary {name} 2.0.0 in prod to 0 (2s after the abort)", all[3].Message, StringComparison.Ordinal);
        Assert.Equal((0, 0), (final.Find(Tracks.Canary)!.Replicas, final.Find(Tracks.Canary)!.Weight));
        Assert.Equal(0, Assert.Single(h.Fleet.Get("local-east").Workloads(name, name), w => w.Track == Tracks.Canary).Replicas.Desired);
        // Orchestration time is an episode's start, which the task hub's queues can date up to a second early (RUNTIME.md).
        var delayStep = Assert.Single(aborted.Steps, s => s.Name == "abortScaleDownDelay");
        Assert.True(delayStep.FinishedAt - delayStep.StartedAt >= TimeSpan.FromSeconds(1), $"the pods were held from {delayStep.StartedAt:O} to {delayStep.FinishedAt:O}");
        var scaledDown = Assert.Single(h.Fleet.Get("local-east").Events(name), e => e.Object == $"deployment/{name}-canary" && e.Message.Contains("from 2 to 0", StringComparison.Ordinal));
        Assert.True(scaledDown.At >= delayStep.StartedAt!.Value + TimeSpan.FromSeconds(1), $"scaled down at {scaledDown.At:O}, the delay began at {delayStep.StartedAt:O}");
        Assert.Contains("aborted by", aborted.Message, StringComparison.Ordinal);
    }
}
