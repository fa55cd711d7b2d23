using IdpServerless.Functions.Infrastructure;
using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Functions;
using Microsoft.Azure.Functions.Worker;

namespace IdpServerless.Functions.Orchestration;

/// <summary>The timer function that logs stuck orchestrations and updates the task hub's gauges (<see cref="OrchestrationHealthCheck"/>).</summary>
public sealed class OrchestrationHealthFunction(OrchestrationHealthCheck check, FunctionInvoker invoker)
{
    [Function(OrchestrationHealthCheck.Name)]
    public Task RunAsync([TimerTrigger("%" + FunctionSettings.DurableHealthCheckSchedule + "%")] TimerInfo timer, CancellationToken cancellationToken) =>
        invoker.RunTimerAsync(OrchestrationHealthCheck.Name, timer, check, cancellationToken);
}
