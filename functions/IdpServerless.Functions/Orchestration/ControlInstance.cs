using IdpServerless.Durable;

namespace IdpServerless.Functions.Orchestration;

/// <summary>
/// <c>POST /api/orchestrations/instances/{id}/terminate|suspend|resume[?reason=]</c>: 202 (applied by the instance in order
/// with its other events); 404 unknown; 410 finished.
/// </summary>
public static class ControlInstance
{
    public static Task<IResult> TerminateAsync(string id, string? reason, HttpContext http, IOrchestrationClient client, IOrchestrationAuthorizer authorizer, CancellationToken ct) =>
        RunAsync(id, reason, OrchestrationOperation.Terminate, http, client, authorizer, ct);

    public static Task<IResult> SuspendAsync(string id, string? reason, HttpContext http, IOrchestrationClient client, IOrchestrationAuthorizer authorizer, CancellationToken ct) =>
        RunAsync(id, reason, OrchestrationOperation.Suspend, http, client, authorizer, ct);

    public static Task<IResult> ResumeAsync(string id, string? reason, HttpContext http, IOrchestrationClient client, IOrchestrationAuthorizer authorizer, CancellationToken ct) =>
        RunAsync(id, reason, OrchestrationOperation.Resume, http, client, authorizer, ct);

    private static async Task<IResult> RunAsync(
        string id, string? reason, OrchestrationOperation operation, HttpContext http, IOrchestrationClient client, IOrchestrationAuthorizer authorizer, CancellationToken ct)
    {
        var instance = await OrchestrationErrors.RequireAsync(client, id, withPayloads: false, ct);
        await authorizer.DemandAsync(http, new OrchestrationAccessRequest(operation, instance.Name, id, instance.Labels));
        await OrchestrationErrors.MapAsync(async () =>
        {
            var task = operation switch
            {
                OrchestrationOperation.Terminate => client.TerminateAsync(id, reason, ct),
                OrchestrationOperation.Suspend => client.SuspendAsync(id, reason, ct),
                _ => client.ResumeAsync(id, reason, ct),
            };
            await task;
            return true;
        });
        await OrchestrationErrors.AuditAsync(http, "orchestration." + operation.ToString().ToLowerInvariant(), id, "success");
        return Results.Accepted();
    }
}
