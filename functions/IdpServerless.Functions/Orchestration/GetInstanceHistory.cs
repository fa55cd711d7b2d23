using IdpServerless.Durable;

namespace IdpServerless.Functions.Orchestration;

/// <summary><c>GET /api/orchestrations/instances/{id}/history</c>: the current execution's events, oldest first; 404 unknown.</summary>
public static class GetInstanceHistory
{
    public static async Task<IResult> HandleAsync(string id, HttpContext http, IOrchestrationClient client, IOrchestrationAuthorizer authorizer, CancellationToken ct)
    {
        var instance = await OrchestrationErrors.RequireAsync(client, id, withPayloads: false, ct);
        await authorizer.DemandAsync(http, new OrchestrationAccessRequest(OrchestrationOperation.Read, instance.Name, id, instance.Labels));
        var events = await OrchestrationErrors.MapAsync(() => client.GetHistoryAsync(id, ct));
        return Results.Ok(new InstanceHistory(id, events.Select(HistoryEventView.From).ToList()));
    }
}
