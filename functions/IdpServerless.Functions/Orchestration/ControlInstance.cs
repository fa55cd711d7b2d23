using IdpServerless.Hosting.Durable;

namespace IdpServerless.Functions.Orchestration;

/// <summary>
/// <c>POST /api/orchestrations/instances/{id}/terminate|suspend|resume[?reason=]</c>: 202 (applied by the instance in order
/// with its other events); 404 unknown; 410 finished.
/// </summary>
public static class ControlInstance
{
    public static Task<IResult> TerminateAsync(string id, string? reason, HttpContext http, OrchestrationInstances instances, IOrchestrationAuthorizer authorizer, CancellationToken ct) =>
        RunAsync(id, reason, OrchestrationOperation.Terminate, http, instances, authorizer, ct);

    public static Task<IResult> SuspendAsync(string id, string? reason, HttpContext http, OrchestrationInstances instances, IOrchestrationAuthorizer authorizer, CancellationToken ct) =>
        RunAsync(id, reason, OrchestrationOperation.Suspend, http, instances, authorizer, ct);

    public static Task<IResult> ResumeAsync(string id, string? reason, HttpContext http, OrchestrationInstances instances, IOrchestrationAuthorizer authorizer, CancellationToken ct) =>
        RunAsync(id, reason, OrchestrationOperation.Resume, http, instances, authorizer, ct);

    private static async Task<IResult> RunAsync(
        string id, string? reason, OrchestrationOperation operation, HttpContext http, OrchestrationInstances instances, IOrchestrationAuthorizer authorizer, CancellationToken ct)
    {
        var instance = await OrchestrationErrors.RequireAsync(instances, id, withPayloads: false, ct);
        await authorizer.DemandAsync(http, new OrchestrationAccessRequest(operation, instance.Name, id, await instances.GetLabelsAsync(id, ct)));
        await OrchestrationErrors.MapAsync(async () =>
        {
            var control = operation switch
            {
                OrchestrationOperation.Terminate => OrchestrationControl.Terminate,
                OrchestrationOperation.Suspend => OrchestrationControl.Suspend,
                _ => OrchestrationControl.Resume,
            };
            await instances.ControlAsync(id, control, reason, ct);
            return true;
        });
        await OrchestrationErrors.AuditAsync(http, "orchestration." + operation.ToString().ToLowerInvariant(), id, "success");
        return Results.Accepted();
    }
}
