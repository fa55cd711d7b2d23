using IdpServerless.Hosting.Durable;

namespace IdpServerless.Functions.Orchestration;

/// <summary>
/// <c>GET /api/orchestrations/instances/{id}/history</c>: the current execution's events, oldest first (each episode opens with
/// <c>OrchestratorStarted</c>; the engine's closing markers are left out); 404 unknown.
/// </summary>
public static class GetInstanceHistory
{
    public static async Task<IResult> HandleAsync(string id, HttpContext http, OrchestrationInstances instances, IOrchestrationAuthorizer authorizer, CancellationToken ct)
    {
        var instance = await OrchestrationErrors.RequireAsync(instances, id, withPayloads: false, ct);
        await authorizer.DemandAsync(http, new OrchestrationAccessRequest(OrchestrationOperation.Read, instance.Name, id, await instances.GetLabelsAsync(id, ct)));
        var events = await OrchestrationErrors.MapAsync(() => instances.GetHistoryAsync(id, ct));
        return Results.Ok(new InstanceHistory(id, events.Where(e => e is not DurableTask.Core.History.OrchestratorCompletedEvent).Select(HistoryEventView.From).ToList()));
    }
}
