using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Orchestration;

/// <summary>
/// The orchestration management API under <c>/api/orchestrations</c> (our own prefix: the Functions host owns
/// <c>/runtime/webhooks/durabletask</c>). Shapes and status codes follow Durable Functions' HTTP API.
/// </summary>
public static class OrchestrationApi
{
    public static IEndpointRouteBuilder MapOrchestrationApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orchestrations").WithTags("Orchestrations");
        group.MapPost("/{name}", StartOrchestration.HandleAsync)
            .WithName("StartOrchestration").RequirePermission(Permissions.OrchestrationControl)
            .Produces<ManagementPayload>(StatusCodes.Status202Accepted);
        group.MapGet("/instances", QueryInstances.HandleAsync)
            .WithName("QueryOrchestrationInstances").RequirePermission(Permissions.OrchestrationRead);
        group.MapGet("/instances/{id}", GetInstanceStatus.HandleAsync)
            .WithName("GetOrchestrationStatus").RequirePermission(Permissions.OrchestrationRead)
            .Produces<InstanceStatus>(StatusCodes.Status200OK).Produces<InstanceStatus>(StatusCodes.Status202Accepted);
        group.MapGet("/instances/{id}/history", GetInstanceHistory.HandleAsync)
            .WithName("GetOrchestrationHistory").RequirePermission(Permissions.OrchestrationRead);
        group.MapPost("/instances/{id}/raiseEvent/{eventName}", RaiseEvent.HandleAsync)
            .WithName("RaiseOrchestrationEvent").RequirePermission(Permissions.OrchestrationControl);
        group.MapPost("/instances/{id}/terminate", ControlInstance.TerminateAsync)
            .WithName("TerminateOrchestration").RequirePermission(Permissions.OrchestrationControl);
        group.MapPost("/instances/{id}/suspend", ControlInstance.SuspendAsync)
            .WithName("SuspendOrchestration").RequirePermission(Permissions.OrchestrationControl);
        group.MapPost("/instances/{id}/resume", ControlInstance.ResumeAsync)
            .WithName("ResumeOrchestration").RequirePermission(Permissions.OrchestrationControl);
        group.MapDelete("/instances/{id}", PurgeInstance.HandleAsync)
            .WithName("PurgeOrchestration").RequirePermission(Permissions.OrchestrationControl);
        group.MapGet("/stuck", ListStuckInstances.HandleAsync)
            .WithName("ListStuckOrchestrations").RequirePermission(Permissions.OrchestrationRead);
        return app;
    }
}
