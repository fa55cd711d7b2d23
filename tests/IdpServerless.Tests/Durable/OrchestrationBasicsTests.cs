using DurableTask.Core.History;
using IdpServerless.Hosting.Durable;
using IdpServerless.Tests.Infrastructure;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using static IdpServerless.Tests.Durable.TestOrchestrations;

namespace IdpServerless.Tests.Durable;

/// <summary>The engine as the app wires it (payload JSON, registrations, the gRPC API over the task hub) doing the basic patterns.</summary>
[Collection("azurite")]
public class OrchestrationBasicsTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Activities_chained_one_after_another_return_their_results_in_order()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(Chain), new[] { "Ada", "Grace", "Barbara" });

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(["Hello Ada", "Hello Grace", "Hello Barbara"], done.ReadOutputAs<string[]>()!);
        var history = await host.Instances.GetHistoryAsync(id, default);
        var scheduled = history.OfType<TaskScheduledEvent>().ToList();
        Assert.Equal(["Greet", "Greet", "Greet"], scheduled.Select(e => e.Name));
        // Chaining: each step is scheduled only after the previous one completed.
        for (var i = 1; i < scheduled.Count; i++)
        {
            var previousDone = history.OfType<TaskCompletedEvent>().First(e => e.TaskScheduledId == scheduled[i - 1].EventId);
            Assert.True(history.ToList().IndexOf(previousDone) < history.ToList().IndexOf(scheduled[i]));
        }
    }

    [Fact]
    public async Task Fan_out_runs_activities_in_parallel_and_fan_in_aggregates_all_results()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(FanOut), 40);

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(Enumerable.Range(1, 40).Sum(i => i * i), done.ReadOutputAs<int>());
        var history = await host.Instances.GetHistoryAsync(id, default);
        // All 40 were scheduled by the first episode, before any result came back.
        var firstResult = history.ToList().FindIndex(e => e is TaskCompletedEvent);
        Assert.Equal(40, history.Take(firstResult).OfType<TaskScheduledEvent>().Count());
        Assert.Equal(40, history.OfType<TaskCompletedEvent>().Count());
        Assert.Single(history.OfType<ExecutionCompletedEvent>());
    }

    [Fact]
    public async Task NewGuid_returns_the_same_values_when_the_orchestrator_is_replayed()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(Guids));

        var done = await host.WaitAsync(id);

        var guids = done.ReadOutputAs<Guid[]>()!;
        // The first GUID was made in episode 1 (and shown as custom status), the output in episode 2 after a replay.
        Assert.Equal(done.ReadCustomStatusAs<Guid>(), guids[0]);
        Assert.NotEqual(guids[0], guids[1]);
        Assert.NotEqual(Guid.Empty, guids[0]);
    }

    [Fact]
    public async Task An_unknown_orchestrator_name_fails_the_instance()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("NoSuchOrchestrator");

        var done = await host.WaitAsync(id);

        // The worker fails it at once (the management API refuses the start with 404 before it gets here).
        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.NotNull(await host.Instances.GetFailureAsync(done, default));
    }

    [Fact]
    public async Task Starting_an_id_that_is_still_running_is_a_conflict_and_a_finished_one_restarts()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = "restart-" + Guid.NewGuid().ToString("N");
        await host.Instances.StartAsync(nameof(WaitForGo), null, id, null, default);

        await Assert.ThrowsAsync<OrchestrationAlreadyRunningException>(() => host.Instances.StartAsync(nameof(WaitForGo), null, id, null, default));

        await host.Instances.RaiseEventAsync(id, "go", "one", default);
        Assert.Equal("went one", (await host.WaitAsync(id)).ReadOutputAs<string>());
        await host.Instances.StartAsync(nameof(Chain), new[] { "again" }, id, null, default);
        var second = await Eventually.ValueAsync(async () =>
        {
            var m = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
            return m is { Name: nameof(Chain), RuntimeStatus: OrchestrationRuntimeStatus.Completed } ? m : null;
        }, TimeSpan.FromSeconds(60), "the restarted instance to complete");
        Assert.Equal(["Hello again"], second.ReadOutputAs<string[]>()!);
    }

    [Fact]
    public async Task Labels_are_kept_as_tags_and_payloads_are_web_json()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var labels = new Dictionary<string, string> { ["component"] = "checkout", ["environment"] = "prod" };
        var id = await host.Instances.StartAsync(nameof(Retrying), new FlakyInput("labels-" + Guid.NewGuid().ToString("N"), 0), null, labels, default);

        var done = await host.WaitAsync(id);

        Assert.Equal(labels, await host.Instances.GetLabelsAsync(id, default));
        // camelCase, as the Functions worker writes and reads payloads.
        Assert.Contains("\"failTimes\":0", done.SerializedInput, StringComparison.Ordinal);
    }
}
