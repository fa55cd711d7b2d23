using DurableTask.Core.History;
using IdpServerless.Hosting.Durable;
using IdpServerless.Tests.Infrastructure;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using static IdpServerless.Tests.Durable.TestOrchestrations;

namespace IdpServerless.Tests.Durable;

/// <summary>Events, failures, lifecycle controls, retries and timers on the engine as the app wires it.</summary>
[Collection("azurite")]
public class EngineBehaviourTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task An_event_raised_before_the_orchestrator_waits_is_buffered_and_one_raised_after_is_delivered()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(TwoEvents), 2.0);
        await host.Instances.RaiseEventAsync(id, "first", "early", default);

        await Eventually.TrueAsync(
            async () => (await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true))?.ReadCustomStatusAs<string>() == "waiting-second",
            TimeSpan.FromSeconds(60), "the orchestrator to wait for the second event");
        await host.Instances.RaiseEventAsync(id, "second", "late", default);
        var done = await host.WaitAsync(id);

        Assert.Equal("early,late", done.ReadOutputAs<string>());
        var history = (await host.Instances.GetHistoryAsync(id, default)).ToList();
        var first = history.FindIndex(e => e is EventRaisedEvent { Name: "first" });
        var timerFired = history.FindIndex(e => e is TimerFiredEvent);
        Assert.True(first < timerFired, "the first event arrived while the orchestrator was still in its timer, before it waited");
    }

    [Fact]
    public async Task Waiting_for_an_event_with_a_timeout_ends_the_wait_when_none_comes()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(EventWithTimeout), 1.0);

        var done = await host.WaitAsync(id);

        Assert.Equal("timed out", done.ReadOutputAs<string>());
        var history = await host.Instances.GetHistoryAsync(id, default);
        Assert.Single(history.OfType<TimerFiredEvent>());
        Assert.Empty(history.OfType<EventRaisedEvent>());
    }

    [Fact]
    public async Task Raising_an_event_on_an_unknown_instance_is_not_found_and_on_a_finished_one_is_refused()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        await Assert.ThrowsAsync<OrchestrationNotFoundException>(() => host.Instances.RaiseEventAsync("nobody-" + Guid.NewGuid().ToString("N"), "go", null, default));

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(Chain), new[] { "x" });
        await host.WaitAsync(id);

        var e = await Assert.ThrowsAsync<OrchestrationFinishedException>(() => host.Instances.RaiseEventAsync(id, "go", null, default));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, e.Status);
    }

    [Fact]
    public async Task Terminate_ends_a_waiting_instance_as_Terminated_with_the_reason()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(WaitForGo));
        await WaitForStatusAsync(host, id, OrchestrationRuntimeStatus.Running);

        await host.Instances.ControlAsync(id, OrchestrationControl.Terminate, "no longer needed", default);
        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        Assert.Equal("no longer needed", done.ReadOutputAs<string>());
        await Assert.ThrowsAsync<OrchestrationFinishedException>(() => host.Instances.RaiseEventAsync(id, "go", "late", default));
    }

    [Fact]
    public async Task A_suspended_instance_keeps_events_until_it_is_resumed()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(WaitForGo));
        await WaitForStatusAsync(host, id, OrchestrationRuntimeStatus.Running);

        await host.Instances.ControlAsync(id, OrchestrationControl.Suspend, "maintenance", default);
        await WaitForStatusAsync(host, id, OrchestrationRuntimeStatus.Suspended);
        await host.Instances.RaiseEventAsync(id, "go", "later", default);
        // The event is kept by the task hub, and the orchestrator does not act on it while suspended.
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, (await host.Client.GetInstanceAsync(id))!.RuntimeStatus);

        await host.Instances.ControlAsync(id, OrchestrationControl.Resume, "done", default);
        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("went later", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task ContinueAsNew_restarts_with_the_new_input_and_a_fresh_history()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(Counter), 0);

        var done = await host.WaitAsync(id);

        Assert.Equal(3, done.ReadOutputAs<int>());
        Assert.Equal(3, done.ReadInputAs<int>());
        var history = await host.Instances.GetHistoryAsync(id, default);
        var started = Assert.Single(history.OfType<ExecutionStartedEvent>());
        Assert.Equal("3", started.Input);
        Assert.Single(history.OfType<TaskScheduledEvent>());
    }

    [Fact]
    public async Task An_orchestrator_that_schedules_a_different_step_on_replay_fails_with_an_error_naming_the_step()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(Drifting));

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        var failure = (await host.Instances.GetFailureAsync(done, default))!;
        Assert.Contains("Non-Deterministic workflow detected", failure.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("named 'Commit', but the current orchestration replay instead scheduled an activity task named 'Notify'", failure.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_activity_is_retried_with_backoff_until_it_succeeds()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var key = Guid.NewGuid().ToString("N");
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(Retrying), new FlakyInput(key, FailTimes: 2));

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(3, done.ReadOutputAs<int>());
        var calls = Flaky.Calls[key].ToArray();
        Assert.Equal(3, calls.Length);
        var history = await host.Instances.GetHistoryAsync(id, default);
        Assert.Equal(3, history.OfType<TaskScheduledEvent>().Count());
        Assert.Equal(2, history.OfType<TaskFailedEvent>().Count());
        // Backoff: the retry timers are set 1 s, then 2 s after each failure was seen...
        var timers = history.OfType<TimerCreatedEvent>().ToList();
        Assert.Equal(2, timers.Count);
        var episodes = history.ToList();
        for (var i = 0; i < 2; i++)
        {
            var seen = episodes.Take(episodes.IndexOf(timers[i])).OfType<OrchestratorStartedEvent>().Last().Timestamp;
            Assert.Equal(seen.AddSeconds(i == 0 ? 1 : 2), timers[i].FireAt, TimeSpan.FromMilliseconds(1));
        }

        // ...and fire on the queues' one-second visibility granularity (up to a second early each): 3 s nominal, at least 1 s.
        Assert.True(calls[2] - calls[0] >= TimeSpan.FromSeconds(1), $"three attempts within {calls[2] - calls[0]}");
    }

    [Fact]
    public async Task A_failure_the_retry_handler_does_not_handle_is_not_retried()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RetryingOnlyTransient), "argument");

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Equal(1, Failing.Calls[id]);
        Assert.True((await host.Instances.GetFailureAsync(done, default))!.IsCausedBy<TaskFailedException>());
        Assert.Equal(typeof(ArgumentException).FullName, (await host.Instances.GetFailureAsync(done, default))!.InnerFailure!.ErrorType);
    }

    [Fact]
    public async Task A_handled_failure_is_retried_up_to_max_attempts_then_fails_the_orchestration()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RetryingOnlyTransient), "boom");

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Equal(3, Failing.Calls[id]);
        Assert.Equal("boom", (await host.Instances.GetFailureAsync(done, default))!.InnerFailure!.ErrorMessage);
    }

    [Fact]
    public async Task A_durable_timer_fires_at_its_time_within_the_queues_one_second_granularity()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(Sleeper), 2.0);

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var history = await host.Instances.GetHistoryAsync(id, default);
        var created = Assert.Single(history.OfType<TimerCreatedEvent>());
        var started = history.OfType<OrchestratorStartedEvent>().First();
        Assert.Equal(started.Timestamp.AddSeconds(2), created.FireAt, TimeSpan.FromMilliseconds(1));
        Assert.Single(history.OfType<TimerFiredEvent>());
        // The orchestrator resumed (its replay-safe clock) at the fire time, at most the visibility granularity early.
        Assert.True(done.ReadOutputAs<DateTimeOffset>() >= new DateTimeOffset(DateTime.SpecifyKind(created.FireAt, DateTimeKind.Utc)).AddSeconds(-1));
    }

    private static Task WaitForStatusAsync(DurableTestHost host, string id, OrchestrationRuntimeStatus status) =>
        Eventually.TrueAsync(async () => (await host.Client.GetInstanceAsync(id))?.RuntimeStatus == status, TimeSpan.FromSeconds(60), $"{id} to be {status}");
}
