using IdpServerless.Durable;
using IdpServerless.Tests.Infrastructure;
using static IdpServerless.Tests.Durable.TestOrchestrations;

namespace IdpServerless.Tests.Durable;

[Collection("azurite")]
public class LifecycleTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_failing_sub_orchestration_propagates_TaskFailedException_with_its_details_to_the_parent()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(CatchingParent));

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(
            $"{nameof(FailingChild)}|{typeof(TaskFailedException).FullName}|{typeof(InvalidOperationException).FullName}|boom|True",
            done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task An_uncaught_sub_orchestration_failure_fails_the_parent_and_the_child_is_failed_too()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(UncaughtParent));

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Equal(typeof(TaskFailedException).FullName, done.FailureDetails!.ErrorType);
        Assert.Contains(nameof(FailingChild), done.FailureDetails.Message, StringComparison.Ordinal);
        var child = await host.Client.GetInstanceAsync(id + "-child");
        Assert.Equal(OrchestrationRuntimeStatus.Failed, child!.RuntimeStatus);
        Assert.Equal("boom", child.FailureDetails!.Inner!.Message);
    }

    [Fact]
    public async Task Terminate_ends_a_waiting_instance_as_Terminated_with_the_reason()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(WaitForGo));
        await WaitForStatusAsync(host, id, OrchestrationRuntimeStatus.Running);

        await host.Client.TerminateAsync(id, "no longer needed");
        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        Assert.Equal("no longer needed", done.ReadOutputAs<string>());
        await Assert.ThrowsAsync<InstanceCompletedException>(() => host.Client.RaiseEventAsync(id, "go", "late"));
    }

    [Fact]
    public async Task A_suspended_instance_keeps_events_until_it_is_resumed()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(WaitForGo));
        await WaitForStatusAsync(host, id, OrchestrationRuntimeStatus.Running);

        await host.Client.SuspendAsync(id, "maintenance");
        await WaitForStatusAsync(host, id, OrchestrationRuntimeStatus.Suspended);
        await host.Client.RaiseEventAsync(id, "go", "later");
        // The event is recorded in the history, yet the orchestrator does not act on it while suspended.
        await Eventually.TrueAsync(
            async () => (await host.Client.GetHistoryAsync(id)).Any(e => e.Type == HistoryEventType.EventRaised),
            TimeSpan.FromSeconds(60), "the event to be recorded");
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, (await host.Client.GetInstanceAsync(id))!.RuntimeStatus);

        await host.Client.ResumeAsync(id, "done");
        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("went later", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task ContinueAsNew_restarts_with_the_new_input_and_a_fresh_history()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(Counter), 0);

        var done = await Eventually.ValueAsync(async () =>
        {
            var m = await host.Client.GetInstanceAsync(id);
            return m is { RuntimeStatus: OrchestrationRuntimeStatus.Completed } ? m : null;
        }, TimeSpan.FromSeconds(60), "the last generation to complete");

        Assert.Equal(3, done.ReadOutputAs<int>());
        Assert.Equal(3, done.ReadInputAs<int>());
        var history = await host.Client.GetHistoryAsync(id);
        var started = Assert.Single(history, e => e.Type == HistoryEventType.ExecutionStarted);
        Assert.Equal("3", started.Data);
        Assert.Single(history, e => e.Type == HistoryEventType.TaskScheduled);
        Assert.True(started.Episode > 4, "earlier generations' episodes were committed before this one");
    }

    private static Task WaitForStatusAsync(DurableTestHost host, string id, OrchestrationRuntimeStatus status) =>
        Eventually.TrueAsync(async () => (await host.Client.GetInstanceAsync(id))?.RuntimeStatus == status, TimeSpan.FromSeconds(60), $"{id} to be {status}");
}
