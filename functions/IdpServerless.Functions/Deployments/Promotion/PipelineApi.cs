using IdpServerless.Functions.Identity.Access;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Deployments.Promotion;

/// <summary>The answer to an unpin: whether the stage had been pinned.</summary>
public sealed record UnpinResult(string Stage, bool WasPinned);

/// <summary>The answer to a stage approval: the deployment the approval went to.</summary>
public sealed record StageApproval(string Stage, string DeploymentId, string Status);

/// <summary>HTTP functions of promotion pipelines: the pipeline view, approving what waits in a stage, unpinning a stage.</summary>
public static class PipelineApi
{
    public static RouteGroupBuilder MapPipelineApi(this RouteGroupBuilder components)
    {
        ArgumentNullException.ThrowIfNull(components);
        components.MapGet("/pipeline", async (string @namespace, string name, DeploymentService service, CancellationToken ct) =>
                Results.Ok(await service.GetPipelineAsync($"component:{@namespace}/{name}", ct)))
            .WithName("GetComponentPipeline").RequirePermission(Permissions.DeploymentRead, resourceFromRoute: true);

        components.MapPost("/pipeline/{stage}/approve", async (string @namespace, string name, string stage, ControlBody? body, HttpContext http, DeploymentService service, CancellationToken ct) =>
        {
            var id = await service.ApproveStageAsync($"component:{@namespace}/{name}", stage, body?.Comment, http.GetCaller(), ct);
            http.Audit().Detail["deploymentId"] = id;
            return Results.Accepted($"/api/deployments/{id}", new StageApproval(stage, id, "Accepted"));
        }).WithName("ApprovePipelineStage").RequirePermission(Permissions.DeploymentApprove, resourceFromRoute: true);

        components.MapPost("/pipeline/{stage}/unpin", async (string @namespace, string name, string stage, HttpContext http, DeploymentService service, CancellationToken ct) =>
                Results.Ok(new UnpinResult(stage, await service.UnpinAsync($"component:{@namespace}/{name}", stage, http.GetCaller(), ct))))
            .WithName("UnpinPipelineStage").RequirePermission(Permissions.DeploymentCreate, resourceFromRoute: true);
        return components;
    }
}
