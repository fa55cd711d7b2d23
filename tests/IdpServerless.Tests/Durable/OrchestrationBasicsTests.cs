using IdpServerless.Durable;
using IdpServerless.Tests.Infrastructure;
using static IdpServerless.Tests.Durable.TestOrchestrations;

namespace IdpServerless.Tests.Durable;

[Collection("azurite")]
public class OrchestrationBasicsTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Activities_chained_one_after_another_return_their_results_in_order()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(Chain), new[] { "Ada", "Grace", "Barbara" });

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(["Hello Ada", "Hello Grace", "Hello Barbara"], done.ReadOutputAs<string[]>()!);
        var history = await host.Client.GetHistoryAsync(id);
        var scheduled = history.Where(e => e.Type == HistoryEventType.TaskScheduled).ToList();
        Assert.Equal([1, 2, 3], scheduled.Select(e => e.TaskId!.Value));
        // Chaining: each step is scheduled only after the previous one completed.
        for (var i = 1; i < scheduled.Count; i++)
        {
            var previousDone = history.First(e => e.Type == HistoryEventType.TaskCompleted && e.TaskId == scheduled[i - 1].TaskId);
            Assert.True(history.ToList().IndexOf(previousDone) < history.ToList().IndexOf(scheduled[i]));
        }
    }

    [Fact]
    public async Task Fan_out_runs_activities_in_parallel_and_fan_in_aggregates_all_results()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(FanOut), 40);

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(Enumerable.Range(1, 40).Sum(i => i * i), done.ReadOutputAs<int>());
        var history = await host.Client.GetHistoryAsync(id);
        // All 40 were scheduled by the first episode, before any result came back.
        var firstEpisode = history.Where(e => e.Episode == 1).ToList();
        Assert.Equal(40, firstEpisode.Count(e => e.Type == HistoryEventType.TaskScheduled));
        Assert.Equal(40, history.Count(e => e.Type == HistoryEventType.TaskCompleted));
        Assert.Single(history, e => e.Type == HistoryEventType.ExecutionCompleted);
    }

    [Fact]
    public async Task NewGuid_returns_the_same_values_when_the_orchestrator_is_replayed()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(Guids));

        var done = await host.WaitAsync(id);

        var guids = done.ReadOutputAs<Guid[]>()!;
        // The first GUID was made in episode 1 (and shown as custom status), the output in episode 2 after a replay.
        Assert.Equal(done.ReadCustomStatusAs<Guid>(), guids[0]);
        Assert.NotEqual(guids[0], guids[1]);
        Assert.NotEqual(Guid.Empty, guids[0]);
    }

    [Fact]
    public async Task An_unknown_orchestrator_name_fails_the_instance_with_a_clear_error()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync("NoSuchOrchestrator");

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Contains("No orchestrator named 'NoSuchOrchestrator'", done.FailureDetails!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_an_id_that_is_still_running_is_a_conflict_and_a_finished_one_restarts()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = "restart-" + Guid.NewGuid().ToString("N");
        await host.Client.StartNewAsync(nameof(WaitForGo), options: new StartOrchestrationOptions(id));

        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => host.Client.StartNewAsync(nameof(WaitForGo), options: new StartOrchestrationOptions(id)));

        await host.Client.RaiseEventAsync(id, "go", "one");
        Assert.Equal("went one", (await host.WaitAsync(id)).ReadOutputAs<string>());
        await host.Client.StartNewAsync(nameof(Chain), new[] { "again" }, new StartOrchestrationOptions(id));
        var second = await Eventually.ValueAsync(async () =>
        {
            var m = await host.Client.GetInstanceAsync(id);
            return m is { Name: nameof(Chain), RuntimeStatus: OrchestrationRuntimeStatus.Completed } ? m : null;
        }, TimeSpan.FromSeconds(60), "the restarted instance to complete");
        Assert.Equal(["Hello again"], second.ReadOutputAs<string[]>()!);
    }

    [Fact]
    public async Task Queries_filter_by_name_status_time_and_labels_and_page_with_a_token()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var labels = new Dictionary<string, string> { ["component"] = "checkout", ["environment"] = "prod" };
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await host.Client.StartNewAsync(nameof(Chain), new[] { "x" }, new StartOrchestrationOptions(Labels: labels)));
        }

        var other = await host.Client.StartNewAsync(nameof(Chain), new[] { "y" }, new StartOrchestrationOptions(Labels: new Dictionary<string, string> { ["component"] = "billing" }));
        foreach (var id in ids.Append(other))
        {
            await host.WaitAsync(id);
        }

        var first = await host.Client.QueryAsync(new OrchestrationQuery(
            Name: nameof(Chain), Statuses: [OrchestrationRuntimeStatus.Completed], CreatedFrom: before, CreatedTo: DateTimeOffset.UtcNow.AddMinutes(1),
            Labels: new Dictionary<string, string> { ["component"] = "checkout" }, PageSize: 2));
        var all = first.Instances.ToList();
        var token = first.ContinuationToken;
        while (token is not null)
        {
            var next = await host.Client.QueryAsync(new OrchestrationQuery(Labels: new Dictionary<string, string> { ["component"] = "checkout" }, PageSize: 2, ContinuationToken: token));
            all.AddRange(next.Instances);
            token = next.ContinuationToken;
        }

        Assert.Equal(ids.Order(), all.Select(m => m.InstanceId).Order());
        Assert.All(all, m => Assert.Equal("prod", m.Labels["environment"]));
        var none = await host.Client.QueryAsync(new OrchestrationQuery(Statuses: [OrchestrationRuntimeStatus.Failed]));
        Assert.Empty(none.Instances);
    }
}
