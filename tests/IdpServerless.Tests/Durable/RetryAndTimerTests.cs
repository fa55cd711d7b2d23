using IdpServerless.Durable;
using IdpServerless.Tests.Infrastructure;
using static IdpServerless.Tests.Durable.TestOrchestrations;

namespace IdpServerless.Tests.Durable;

[Collection("azurite")]
public class RetryAndTimerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_failing_activity_is_retried_with_backoff_until_it_succeeds()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var key = Guid.NewGuid().ToString("N");
        var id = await host.Client.StartNewAsync(nameof(Retrying), new FlakyInput(key, FailTimes: 2));

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(3, done.ReadOutputAs<int>());
        var calls = Flaky.Calls[key].ToArray();
        Assert.Equal([1, 2, 3], calls.Select(c => c.Attempt));
        Assert.Single(calls.Select(c => c.IdempotencyKey).Distinct()); // one logical call, one key across retries

        // Spacing from the history: each retry was scheduled at least the policy's delay after the failure.
        var history = await host.Client.GetHistoryAsync(id);
        var scheduled = history.Where(e => e.Type == HistoryEventType.TaskScheduled).ToList();
        var failed = history.Where(e => e.Type == HistoryEventType.TaskFailed).ToList();
        Assert.Equal(3, scheduled.Count);
        Assert.Equal(2, failed.Count);
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var gap = scheduled[attempt].Timestamp - failed[attempt - 1].Timestamp;
            Assert.True(gap >= Retrying.Policy.DelayAfter(attempt), $"retry {attempt} came after {gap}, expected at least {Retrying.Policy.DelayAfter(attempt)}");
        }

        Assert.Equal(2, history.Count(e => e.Type == HistoryEventType.TimerCreated));
    }

    [Fact]
    public async Task A_failure_the_retry_policy_does_not_handle_is_not_retried()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(RetryingOnlyTransient), "argument");

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Equal(1, Failing.Calls[id]);
        Assert.Equal(typeof(TaskFailedException).FullName, done.FailureDetails!.ErrorType);
        Assert.Equal(typeof(ArgumentException).FullName, done.FailureDetails.Inner!.ErrorType);
    }

    [Fact]
    public async Task A_handled_failure_is_retried_up_to_max_attempts_then_fails_the_orchestration()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(RetryingOnlyTransient), "boom");

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Equal(3, Failing.Calls[id]);
        Assert.Equal("boom", done.FailureDetails!.Inner!.Message);
    }

    [Fact]
    public async Task A_durable_timer_completes_no_earlier_than_its_fire_time()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(Sleeper), 2.0);

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var history = await host.Client.GetHistoryAsync(id);
        var created = Assert.Single(history, e => e.Type == HistoryEventType.TimerCreated);
        var started = history.First(e => e.Type == HistoryEventType.OrchestratorStarted);
        Assert.Equal(started.Timestamp.AddSeconds(2), created.FireAt);
        Assert.Single(history, e => e.Type == HistoryEventType.TimerFired);
        // The orchestrator resumed (its replay-safe clock) at or after the fire time.
        Assert.True(done.ReadOutputAs<DateTimeOffset>() >= created.FireAt!.Value);
    }
}
