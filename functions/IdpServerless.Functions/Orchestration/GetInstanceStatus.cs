using IdpServerless.Hosting.Durable;

namespace IdpServerless.Functions.Orchestration;

/// <summary><c>GET /api/orchestrations/instances/{id}</c>: 202 while Pending/Running/Suspended, 200 when finished, 404 unknown.</summary>
public static class GetInstanceStatus
{
    public static async Task<IResult> HandleAsync(string id, HttpContext http, OrchestrationInstances instances, IOrchestrationAuthorizer authorizer, CancellationToken ct)
    {
        var instance = await OrchestrationErrors.RequireAsync(instances, id, withPayloads: true, ct);
        var labels = await instances.GetLabelsAsync(id, ct);
        await authorizer.DemandAsync(http, new OrchestrationAccessRequest(OrchestrationOperation.Read, instance.Name, id, labels));
        var body = InstanceStatus.From(instance, labels, await instances.GetFailureAsync(instance, ct));
        if (instance.RuntimeStatus.IsFinished())
        {
            return Results.Json(body);
        }

        http.Response.Headers.RetryAfter = "1";
        return Results.Json(body, statusCode: StatusCodes.Status202Accepted).WithLocation(ManagementPayload.InstanceUri(http.Request, id));
    }
}
