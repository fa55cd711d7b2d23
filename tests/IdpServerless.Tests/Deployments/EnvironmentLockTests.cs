using IdpServerless.Functions.Deployments;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Deployments;

/// <summary>
/// The per-environment lock in <see cref="DeploymentStore"/> against real Azurite: one release per environment, a free
/// environment taken with one insert, a stale holder replaced, and a finished release freeing the lock in the same
/// transaction that records what runs there.
/// </summary>
[Collection(AzuriteReleasesCollection.Name)]
public class EnvironmentLockTests(AzuriteFixture azurite)
{
    private readonly DeploymentStore _store = new(azurite.CreateClient(), Microsoft.Extensions.Logging.Abstractions.NullLogger<DeploymentStore>.Instance);

    private static string Component() => $"component:default/lock-{Guid.NewGuid().ToString("N")[..8]}";

    private static Task<bool> Never(string _) => Task.FromResult(false);

    [Fact]
    public async Task One_release_per_environment_and_a_finished_one_frees_it_with_the_running_version()
    {
        var component = Component();

        Assert.Null(await _store.TryAcquireAsync(component, "dev", "dep-a", Never, CancellationToken.None));
        Assert.Equal("dep-a", await _store.TryAcquireAsync(component, "dev", "dep-b", Never, CancellationToken.None));
        Assert.Null(await _store.TryAcquireAsync(component, "dev", "dep-a", Never, CancellationToken.None)); // its own lock: idempotent
        Assert.Null(await _store.TryAcquireAsync(component, "prod", "dep-c", Never, CancellationToken.None)); // other environment

        var first = await _store.GetEnvironmentsAsync(component, CancellationToken.None);
        Assert.Equal([("dev", "dep-a", (string?)null), ("prod", "dep-c", null)], first.OrderBy(e => e.Environment).Select(e => (e.Environment, e.ActiveDeploymentId, e.CurrentVersion)));

        await _store.SaveAsync(Record("dep-a", component, "dev", "1.0.0", DeploymentStatuses.Succeeded), CancellationToken.None);

        var dev = Assert.Single(await _store.GetEnvironmentsAsync(component, CancellationToken.None), e => e.Environment == "dev");
        Assert.Equal(("1.0.0", "dep-a", (string?)null), (dev.CurrentVersion, dev.CurrentDeploymentId, dev.ActiveDeploymentId));
        Assert.Null(await _store.TryAcquireAsync(component, "dev", "dep-d", Never, CancellationToken.None));

        // A failed release frees the lock but leaves the running version alone.
        await _store.SaveAsync(Record("dep-d", component, "dev", "2.0.0", DeploymentStatuses.Failed), CancellationToken.None);
        dev = Assert.Single(await _store.GetEnvironmentsAsync(component, CancellationToken.None), e => e.Environment == "dev");
        Assert.Equal(("1.0.0", (string?)null), (dev.CurrentVersion, dev.ActiveDeploymentId));
    }

    [Fact]
    public async Task A_stale_holder_is_replaced_and_only_the_holder_can_release()
    {
        var component = Component();
        Assert.Null(await _store.TryAcquireAsync(component, "dev", "dep-old", Never, CancellationToken.None));
        var asked = new List<string>();

        var taken = await _store.TryAcquireAsync(component, "dev", "dep-new", holder =>
        {
            asked.Add(holder);
            return Task.FromResult(true);
        }, CancellationToken.None);

        Assert.Null(taken);
        Assert.Equal(["dep-old"], asked);
        await _store.ReleaseAsync(component, "dev", "dep-old", CancellationToken.None); // not the holder any more: no effect
        Assert.Equal("dep-new", await _store.TryAcquireAsync(component, "dev", "dep-other", Never, CancellationToken.None));
        await _store.ReleaseAsync(component, "dev", "dep-new", CancellationToken.None);
        Assert.Null(await _store.TryAcquireAsync(component, "dev", "dep-other", Never, CancellationToken.None));
    }

    [Fact]
    public async Task Racing_triggers_on_a_free_environment_leave_exactly_one_holder()
    {
        var component = Component();
        var ids = Enumerable.Range(0, 8).Select(i => $"dep-{i}").ToArray();

        var results = await Task.WhenAll(ids.Select(id => _store.TryAcquireAsync(component, "dev", id, Never, CancellationToken.None)));

        var winners = ids.Where((_, i) => results[i] is null).ToList();
        var winner = Assert.Single(winners);
        Assert.All(results.Where(r => r is not null), r => Assert.Equal(winner, r));
        Assert.Equal(winner, Assert.Single(await _store.GetEnvironmentsAsync(component, CancellationToken.None)).ActiveDeploymentId);
    }

    [Fact]
    public async Task A_save_run_again_after_newer_ones_does_not_take_the_record_back()
    {
        // After a crash an activity's work item can reappear and run an old save after the newer ones.
        var component = Component();
        var running = Record("dep-stale", component, "dev", "2.0.0", DeploymentStatuses.Running);
        var succeeded = running with { Status = DeploymentStatuses.Succeeded, UpdatedAt = running.UpdatedAt.AddSeconds(3), FinishedAt = running.UpdatedAt.AddSeconds(3) };
        await _store.CreateAsync(running with { Status = DeploymentStatuses.Pending, UpdatedAt = running.UpdatedAt.AddSeconds(-1) }, CancellationToken.None);
        await _store.SaveAsync(running, CancellationToken.None);
        await _store.SaveAsync(succeeded, CancellationToken.None);

        await _store.SaveAsync(running, CancellationToken.None);

        Assert.Equal(DeploymentStatuses.Succeeded, (await _store.GetAsync("dep-stale", CancellationToken.None))!.Status);
        Assert.Equal("2.0.0", Assert.Single(await _store.GetEnvironmentsAsync(component, CancellationToken.None)).CurrentVersion);
        // The same save again (a replay) is no change; a newer one still wins.
        await _store.SaveAsync(succeeded, CancellationToken.None);
        await _store.SaveAsync(succeeded with { Message = "later", UpdatedAt = succeeded.UpdatedAt.AddSeconds(1) }, CancellationToken.None);
        Assert.Equal("later", (await _store.GetAsync("dep-stale", CancellationToken.None))!.Message);
    }

    private static DeploymentRecord Record(string id, string component, string environment, string version, string status)
    {
        var now = DateTimeOffset.UtcNow;
        return new DeploymentRecord(id, DeploymentKinds.Deploy, component, environment, version, null, new StrategySummary("rolling", []), status,
            "user:default/alice", now, now, [], null, null, null, null, [], now);
    }
}
