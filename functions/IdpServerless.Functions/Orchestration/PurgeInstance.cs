using IdpServerless.Hosting.Durable;

namespace IdpServerless.Functions.Orchestration;

/// <summary><c>DELETE /api/orchestrations/instances/{id}</c>: 200 <c>{instancesDeleted}</c>; 404 unknown; 409 not finished yet.</summary>
public static class PurgeInstance
{
    public static async Task<IResult> HandleAsync(string id, HttpContext http, OrchestrationInstances instances, IOrchestrationAuthorizer authorizer, CancellationToken ct)
    {
        var instance = await OrchestrationErrors.RequireAsync(instances, id, withPayloads: false, ct);
        await authorizer.DemandAsync(http, new OrchestrationAccessRequest(OrchestrationOperation.Purge, instance.Name, id, await instances.GetLabelsAsync(id, ct)));
        var deleted = await OrchestrationErrors.MapAsync(() => instances.PurgeAsync(id, ct));
        if (deleted == 0)
        {
            throw Hosting.Problems.ProblemException.NotFound($"No orchestration instance '{id}'.");
        }

        await OrchestrationErrors.AuditAsync(http, "orchestration.purge", id, "success");
        return Results.Ok(new { instancesDeleted = deleted });
    }
}
