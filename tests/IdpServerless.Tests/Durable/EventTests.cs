using IdpServerless.Durable;
using IdpServerless.Tests.Infrastructure;
using static IdpServerless.Tests.Durable.TestOrchestrations;

namespace IdpServerless.Tests.Durable;

[Collection("azurite")]
public class EventTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task An_event_raised_before_the_orchestrator_waits_is_buffered_and_one_raised_after_is_delivered()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(TwoEvents), 2.0);
        await host.Client.RaiseEventAsync(id, "first", "early");

        await Eventually.TrueAsync(
            async () => (await host.Client.GetInstanceAsync(id))?.ReadCustomStatusAs<string>() == "waiting-second",
            TimeSpan.FromSeconds(60), "the orchestrator to wait for the second event");
        await host.Client.RaiseEventAsync(id, "second", "late");
        var done = await host.WaitAsync(id);

        Assert.Equal("early,late", done.ReadOutputAs<string>());
        var history = (await host.Client.GetHistoryAsync(id)).ToList();
        var first = history.FindIndex(e => e.Type == HistoryEventType.EventRaised && e.Name == "first");
        var timerFired = history.FindIndex(e => e.Type == HistoryEventType.TimerFired);
        Assert.True(first < timerFired, "the first event arrived while the orchestrator was still in its timer, before it waited");
    }

    [Fact]
    public async Task Waiting_for_an_event_with_a_timeout_throws_TimeoutException_when_none_comes()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(EventWithTimeout), 1.0);

        var done = await host.WaitAsync(id);

        Assert.Equal("timed out", done.ReadOutputAs<string>());
        var history = await host.Client.GetHistoryAsync(id);
        Assert.Single(history, e => e.Type == HistoryEventType.TimerFired);
        Assert.DoesNotContain(history, e => e.Type == HistoryEventType.EventRaised);
    }

    [Fact]
    public async Task Raising_an_event_on_an_unknown_instance_is_not_found_and_on_a_finished_one_is_completed()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        await Assert.ThrowsAsync<InstanceNotFoundException>(() => host.Client.RaiseEventAsync("nobody-" + Guid.NewGuid().ToString("N"), "go"));

        var id = await host.Client.StartNewAsync(nameof(Chain), new[] { "x" });
        await host.WaitAsync(id);

        var e = await Assert.ThrowsAsync<InstanceCompletedException>(() => host.Client.RaiseEventAsync(id, "go"));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, e.Status);
    }
}
