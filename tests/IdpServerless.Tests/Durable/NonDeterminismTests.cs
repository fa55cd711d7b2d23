using IdpServerless.Durable;
using IdpServerless.Tests.Infrastructure;
using static IdpServerless.Tests.Durable.TestOrchestrations;

namespace IdpServerless.Tests.Durable;

[Collection("azurite")]
public class NonDeterminismTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task An_orchestrator_that_schedules_a_different_step_on_replay_fails_with_an_error_naming_the_step()
    {
        await using var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions());
        var id = await host.Client.StartNewAsync(nameof(Drifting));

        var done = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Equal(typeof(NonDeterministicOrchestrationException).FullName, done.FailureDetails!.ErrorType);
        Assert.Contains("expected activity 'Commit' at step 3, orchestrator scheduled 'Notify'", done.FailureDetails.Message, StringComparison.Ordinal);
        var history = await host.Client.GetHistoryAsync(id);
        Assert.DoesNotContain(history, e => e.Type == HistoryEventType.TaskScheduled && e.Name == nameof(Notify));
    }
}
