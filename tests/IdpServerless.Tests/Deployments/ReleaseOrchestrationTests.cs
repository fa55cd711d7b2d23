using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Notifications;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Deployments;

[Collection(AzuriteReleasesCollection.Name)]
public class ReleaseOrchestrationTests(AzuriteFixture azurite)
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..6]}";

    [Fact]
    public async Task A_blue_green_switch_and_its_rollback_are_one_commit_each()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("web");
        h.Components.Add(name, "- {name: staging, strategy: {type: blueGreen, scaleDownDelay: 5m}}");
        var repo = new RepoRef("deployments", $"{name}-deploy");
        var first = await h.DeployAsync(name, "staging", "1.0.0");
        await h.WaitForStatusAsync(first.DeploymentId, DeploymentStatuses.Succeeded);

        var second = await h.DeployAsync(name, "staging", "2.0.0");
        var switched = await h.WaitForAsync(second.DeploymentId, r => r.Release?.ActiveColor == Tracks.Green && r.Steps[^1].Name == "keep blue", "to switch to green");
        var afterSwitch = await h.CommitsOfAsync(repo, second.DeploymentId);
        var live = await h.DesiredAsync(repo, "staging");
        await h.ControlAsync(second.DeploymentId, DeploymentControls.Abort);
        var rolledBack = await h.WaitForStatusAsync(second.DeploymentId, DeploymentStatuses.RolledBack);
        var all = await h.CommitsOfAsync(repo, second.DeploymentId);

        Assert.Equal(2, afterSwitch.Count);
        Assert.StartsWith($"Blue/green {name} 2.0.0 in staging: preview on green", afterSwitch[0].Message, StringComparison.Ordinal);
        Assert.StartsWith($"Switch {name} in staging to green (2.0.0)", afterSwitch[1].Message, StringComparison.Ordinal);
        Assert.Equal(("green", "2.0.0", "1.0.0"), (live!.ActiveColor, live.ServingVersion, live.Find(Tracks.Blue)!.Version));
        Assert.Equal(3, all.Count);
        Assert.StartsWith($"Switch {name} in staging back to blue (1.0.0)", all[2].Message, StringComparison.Ordinal);
        var back = (await h.DesiredAsync(repo, "staging"))!;
        Assert.Equal(("blue", "1.0.0", 100, 0), (back.ActiveColor, back.ServingVersion, back.Find(Tracks.Blue)!.Weight, back.Find(Tracks.Green)!.Weight));
        Assert.Equal("blue", rolledBack.Release!.ActiveColor);
        Assert.Equal("1.0.0", switched.Release!.CanaryVersion);
    }

    [Fact]
    public async Task A_canary_with_good_metrics_walks_every_step_to_100_percent()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("shop");
        h.Components.Add(name, """
            - name: prod
              clusters: [local-east, local-west]
              strategy:
                type: canary
                steps:
                  - setWeight: 25
                  - pause: {duration: 300ms}
                  - analysis: {templates: [success-rate, latency-p99]}
                  - setWeight: 50
                  - analysis: {}
                  - setWeight: 100
            """);
        var repo = new RepoRef("deployments", $"{name}-deploy");
        var first = await h.DeployAsync(name, "prod", "1.0.0");
        await h.WaitForStatusAsync(first.DeploymentId, DeploymentStatuses.Succeeded);

        var canary = await h.DeployAsync(name, "prod", "1.1.0");
        var done = await h.WaitForStatusAsync(canary.DeploymentId, DeploymentStatuses.Succeeded);

        var commits = await h.CommitsOfAsync(repo, canary.DeploymentId);
        Assert.Equal(["weight 25%", "weight 50%", "weight 100%", "Promote"], commits.Select(c => c.Message.Contains("weight", StringComparison.Ordinal) ? c.Message[c.Message.IndexOf("weight", StringComparison.Ordinal)..(c.Message.IndexOf('%', StringComparison.Ordinal) + 1)] : c.Message.Split(' ')[0]));
        Assert.Equal([1, 2, 3, 4], commits.Select(c => GitOpsWriter.ReadStep(c.Message)));
        Assert.Equal(new TrafficWeights(0, 100), done.Release!.Weights);
        Assert.Equal((6, 6), (done.Release.CurrentStep, done.Release.TotalSteps));
        Assert.Equal(8, done.Release.Analysis.Count);
        Assert.All(done.Release.Analysis, a => Assert.Equal(AnalysisOutcomes.Successful, a.Result));
        var desired = (await h.DesiredAsync(repo, "prod"))!;
        Assert.Equal(("1.1.0", 100), (desired.ServingVersion, Assert.Single(desired.Tracks).Weight));
        Assert.Equal("1.0.0", done.PreviousVersion);
        await Eventually.TrueAsync(() => Task.FromResult(h.Fleet.Get("local-west").Workloads(name, name) is [{ Version: "1.1.0", Status: "Healthy" }]), TimeSpan.FromSeconds(10), "local-west on 1.1.0 only");
    }

    [Fact]
    public async Task Pause_resume_promote_and_abort_steer_a_canary_and_an_abort_leaves_git_and_cluster_in_agreement()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("search");
        h.Components.Add(name, """
            - name: prod
              strategy:
                type: canary
                steps:
                  - setWeight: 20
                  - pause: {}
                  - setWeight: 40
                  - pause: {duration: 10m}
                  - setWeight: 60
                  - pause: {duration: 10m}
                  - setWeight: 80
            """);
        var repo = new RepoRef("deployments", $"{name}-deploy");
        var first = await h.DeployAsync(name, "prod", "1.0.0");
        await h.WaitForStatusAsync(first.DeploymentId, DeploymentStatuses.Succeeded);
        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;

        var held = await h.WaitForAsync(id, r => r.Status == DeploymentStatuses.Paused && r.Release?.CurrentStep == 2, "to pause until promoted at 20%");
        await h.NotifiedAsync(NotificationEvents.CanaryPaused, id);
        await h.ControlAsync(id, DeploymentControls.Promote);
        var timedPause = await h.WaitForAsync(id, r => r.Status == DeploymentStatuses.Running && r.Release?.CurrentStep == 4, "to reach the 10m pause at 40%");
        await h.ControlAsync(id, DeploymentControls.Pause);
        var paused = await h.WaitForStatusAsync(id, DeploymentStatuses.Paused);
        await h.ControlAsync(id, DeploymentControls.Resume);
        var resumed = await h.WaitForAsync(id, r => r.Status == DeploymentStatuses.Running && r.Release?.CurrentStep == 4, "to resume the 10m pause");
        await h.ControlAsync(id, DeploymentControls.Promote);
        await h.WaitForAsync(id, r => r.Release?.CurrentStep == 6 && r.Release.Weights.Canary == 60, "to promote past the pause to 60%");
        await h.ControlAsync(id, DeploymentControls.Abort, comment: "enough");
        var aborted = await h.WaitForStatusAsync(id, DeploymentStatuses.Aborted);

        Assert.Equal(20, held.Release!.Weights.Canary);
        Assert.Equal(40, timedPause.Release!.Weights.Canary);
        Assert.Equal(4, paused.Release!.CurrentStep);
        Assert.Equal(DeploymentStatuses.Running, resumed.Status);
        Assert.Equal("aborted by user:default/jane: enough", aborted.Message);
        Assert.Equal(new TrafficWeights(100, 0), aborted.Release!.Weights);
        var desired = (await h.DesiredAsync(repo, "prod"))!;
        Assert.Equal(("1.0.0", 100), (desired.Find(Tracks.Stable)!.Version, desired.Find(Tracks.Stable)!.Weight));
        Assert.Equal(("2.0.0", 0, 0), (desired.Find(Tracks.Canary)!.Version, desired.Find(Tracks.Canary)!.Weight, desired.Find(Tracks.Canary)!.Replicas));
        Assert.StartsWith($"Roll back canary {name} 2.0.0 in prod: 1.0.0 at 100%, canary at weight 0", (await h.CommitsOfAsync(repo, id))[^1].Message, StringComparison.Ordinal);

        // The simulated cluster applied exactly what Git says: the head commit, stable serving everything.
        var head = await h.Git.GetHeadAsync(repo, "main", CancellationToken.None);
        var cluster = h.Fleet.Get("local-east");
        Assert.Equal(head, cluster.AppliedRevision(name, name));
        var workloads = cluster.Workloads(name, name).ToDictionary(w => w.Track);
        Assert.Equal(("1.0.0", 0), (workloads[Tracks.Stable].Version, workloads[Tracks.Canary].Replicas.Desired));
        var traffic = cluster.Traffic().Where(t => t.App == name).ToDictionary(t => t.Version, t => t.RequestsPerSecond);
        Assert.Equal(0, traffic["2.0.0"]);
        Assert.True(traffic["1.0.0"] > 0);
    }
}
