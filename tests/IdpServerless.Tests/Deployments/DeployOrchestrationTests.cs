using IdpServerless.Functions.Clusters.Simulated;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Notifications;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Deployments;

[Collection(AzuriteReleasesCollection.Name)]
public class DeployOrchestrationTests(AzuriteFixture azurite)
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..6]}";

    [Fact]
    public async Task A_deployment_naming_its_commit_without_a_time_reads_the_time_from_the_source_repository()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("billing");
        var source = new RepoRef("apps", name);
        await h.Git.CreateRepositoryAsync(source, "the application's own code", CancellationToken.None);
        var built = await h.Git.CommitAsync(source, "main", [new("src/app.txt", "v2"u8.ToArray())], "Build v2", new GitAuthor("Dev", "dev@example.com"), null, CancellationToken.None);
        h.Components.Add(name, "dev", sourceSlug: source.ToString());
        h.Components.Add(name + "-noslug", "dev");
        var service = h.Services.GetRequiredService<IDeploymentService>();

        var withSlug = await service.StartAsync(new DeploymentRequest(name, "dev", "2.0.0", "test", null, built.Sha), DeploymentHarness.User("jane"), CancellationToken.None);
        var unknownSha = await service.StartAsync(new DeploymentRequest(name + "-noslug", "dev", "2.0.0", "test", null, built.Sha), DeploymentHarness.User("jane"), CancellationToken.None);

        var record = await h.WaitForStatusAsync(withSlug.DeploymentId, DeploymentStatuses.Succeeded);
        Assert.Equal(built.Sha, record.SourceCommit);
        Assert.NotNull(record.CommittedAt);
        Assert.True((record.CommittedAt!.Value - built.At).Duration() < TimeSpan.FromSeconds(1), $"{record.CommittedAt} vs {built.At}");

        // No source repository declared: the deployment still succeeds; lead time falls back to the first request.
        var other = await h.WaitForStatusAsync(unknownSha.DeploymentId, DeploymentStatuses.Succeeded);
        Assert.Null(other.CommittedAt);
    }

    [Fact]
    public async Task A_healthy_deploy_makes_one_commit_and_succeeds()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("orders");
        h.Components.Add(name, "dev");
        var repo = new RepoRef("deployments", $"{name}-deploy");

        var accepted = await h.DeployAsync(name, "dev", "1.0.0");
        var done = await h.WaitForStatusAsync(accepted.DeploymentId, DeploymentStatuses.Succeeded);

        var commit = Assert.Single(await h.CommitsOfAsync(repo, accepted.DeploymentId));
        Assert.StartsWith($"Deploy {name} 1.0.0 to dev", commit.Message, StringComparison.Ordinal);
        Assert.Equal("1.0.0", (await h.DesiredAsync(repo, "dev"))!.ServingVersion);
        var workload = Assert.Single(h.Fleet.Get("local-east").Workloads(name, name));
        Assert.Equal(("1.0.0", "Healthy"), (workload.Version, workload.Status));
        Assert.Equal(["validate", "commit", "rollout"], done.Steps.Select(s => s.Name));
        Assert.All(done.Steps, s => Assert.Equal("Succeeded", s.Status));
        await h.NotifiedAsync(NotificationEvents.DeploymentStarted, accepted.DeploymentId);
        await h.NotifiedAsync(NotificationEvents.DeploymentSucceeded, accepted.DeploymentId);
    }

    [Fact]
    public async Task An_unhealthy_deploy_reverts_and_fails_with_the_reason()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("billing");
        h.Components.Add(name, "dev");
        var repo = new RepoRef("deployments", $"{name}-deploy");
        var first = await h.DeployAsync(name, "dev", "1.0.0");
        await h.WaitForStatusAsync(first.DeploymentId, DeploymentStatuses.Succeeded);
        h.Fleet.Get("local-east").AddFault(new SimulatedFault("2.0.0", name, Unhealthy: true, null, null));

        var bad = await h.DeployAsync(name, "dev", "2.0.0");
        var failed = await h.WaitForStatusAsync(bad.DeploymentId, DeploymentStatuses.Failed);

        Assert.Contains("CrashLoopBackOff", failed.Message, StringComparison.Ordinal);
        Assert.Equal("1.0.0", failed.PreviousVersion);
        var commits = await h.CommitsOfAsync(repo, bad.DeploymentId);
        Assert.Equal(2, commits.Count);
        Assert.StartsWith($"Revert {name} in dev to 1.0.0", commits[1].Message, StringComparison.Ordinal);
        Assert.Equal("1.0.0", (await h.DesiredAsync(repo, "dev"))!.ServingVersion);
        await Eventually.TrueAsync(() => Task.FromResult(h.Fleet.Get("local-east").Workloads(name, name) is [{ Version: "1.0.0", Status: "Healthy" }]), TimeSpan.FromSeconds(10), "the cluster back on 1.0.0");
        Assert.Contains("CrashLoopBackOff", (await h.NotifiedAsync(NotificationEvents.DeploymentFailed, bad.DeploymentId)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_protected_deploy_waits_then_proceeds_on_approve_or_stops_on_reject()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("ledger");
        h.Components.Add(name, """
            - name: prod
              clusters: [local-east, local-west]
              protection: {approval: true, approvers: [group:default/release-managers]}
            """);
        var repo = new RepoRef("deployments", $"{name}-deploy");
        var approver = DeploymentHarness.User("ann", "group:default/release-managers");

        var first = await h.DeployAsync(name, "prod", "1.0.0");
        var waiting = await h.WaitForStatusAsync(first.DeploymentId, DeploymentStatuses.WaitingForApproval);
        var outsider = await Assert.ThrowsAsync<ProblemException>(() => h.ControlAsync(first.DeploymentId, DeploymentControls.Approve, DeploymentHarness.User("bob")));
        var early = await Assert.ThrowsAsync<ProblemException>(() => h.ControlAsync(first.DeploymentId, DeploymentControls.Pause, approver));
        Assert.Empty(await h.CommitsOfAsync(repo, first.DeploymentId));
        await h.ControlAsync(first.DeploymentId, DeploymentControls.Approve, approver, "ship it");
        var approved = await h.WaitForStatusAsync(first.DeploymentId, DeploymentStatuses.Succeeded);

        var second = await h.DeployAsync(name, "prod", "2.0.0");
        await h.WaitForStatusAsync(second.DeploymentId, DeploymentStatuses.WaitingForApproval);
        await h.ControlAsync(second.DeploymentId, DeploymentControls.Reject, approver, "not today");
        var rejected = await h.WaitForStatusAsync(second.DeploymentId, DeploymentStatuses.Aborted);

        Assert.Contains("approval", waiting.Steps[^1].Name, StringComparison.Ordinal);
        Assert.Equal((403, Permissions.DeploymentApprove), (outsider.Status, outsider.Extensions["permission"]));
        Assert.Equal(409, early.Status);
        Assert.Contains(approved.Steps, s => s.Name == "approval" && s.Message == "approved by user:default/ann: ship it");
        Assert.Single(await h.CommitsOfAsync(repo, first.DeploymentId));
        Assert.Equal("rejected by user:default/ann: not today", rejected.Message);
        Assert.Empty(await h.CommitsOfAsync(repo, second.DeploymentId));
        Assert.Equal("1.0.0", (await h.DesiredAsync(repo, "prod"))!.ServingVersion);
        Assert.Equal("1.0.0", Assert.Single(h.Fleet.Get("local-west").Workloads(name, name)).Version);
        await h.NotifiedAsync(NotificationEvents.ApprovalNeeded, second.DeploymentId);
        var gone = await Assert.ThrowsAsync<ProblemException>(() => h.ControlAsync(second.DeploymentId, DeploymentControls.Approve, approver));
        Assert.Equal(410, gone.Status);
    }

    [Fact]
    public async Task A_second_release_to_a_busy_environment_is_a_conflict_and_bad_input_names_the_field()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("catalog");
        h.Components.Add(name, "- {name: prod, protection: true}");
        var first = await h.DeployAsync(name, "prod", "1.0.0");

        var busy = await Assert.ThrowsAsync<ProblemException>(() => h.DeployAsync(name, "prod", "1.0.1"));
        var badVersion = await Assert.ThrowsAsync<ProblemException>(() => h.DeployAsync(name, "prod", "-bad tag"));
        var noEnv = await Assert.ThrowsAsync<ProblemException>(() => h.DeployAsync(name, "qa", "1.0.0"));
        var noComponent = await Assert.ThrowsAsync<ProblemException>(() => h.DeployAsync("ghost", "prod", "1.0.0"));
        h.Access.Deny("user:default/eve", Permissions.DeploymentCreate);
        var denied = await Assert.ThrowsAsync<ProblemException>(() => h.DeployAsync(name, "prod", "1.0.0", DeploymentHarness.User("eve")));

        Assert.Equal(409, busy.Status);
        Assert.Equal(first.DeploymentId, busy.Extensions["deploymentId"]);
        Assert.Equal((422, "version"), (badVersion.Status, badVersion.Errors!.Keys.Single()));
        Assert.Equal(404, noEnv.Status);
        Assert.Equal(404, noComponent.Status);
        Assert.Equal(403, denied.Status);
        await h.ControlAsync(first.DeploymentId, DeploymentControls.Reject);
        await h.WaitForStatusAsync(first.DeploymentId, DeploymentStatuses.Aborted);
        var next = await h.DeployAsync(name, "prod", "1.0.1");
        Assert.NotEqual(first.DeploymentId, next.DeploymentId);
    }
}
