using IdpServerless.Functions.Clusters;
using IdpServerless.Functions.Deployments.Promotion;
using IdpServerless.Functions.Identity.Access;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Deployments;

public sealed record TriggerBody(string? Component, string? Environment, string? Version, string? Reason, string? Commit = null, DateTimeOffset? CommittedAt = null);

public sealed record ControlBody(string? Comment);

public sealed record RollbackBody(string? ToVersion);

public sealed record PromoteBody(string? From, string? To, string? Version);

public sealed record PageInfo(string? NextCursor);

public sealed record DeploymentPage(IReadOnlyList<DeploymentRecord> Items, PageInfo PageInfo);

/// <summary>The accepted answer: the deployment and where to watch it (as Durable Functions' management payload does).</summary>
public sealed record AcceptedBody(string Id, string Component, string Environment, string Version, string StatusQueryGetUri, string SendEventPostUri);

/// <summary>HTTP functions of deployments: trigger, list, read, controls, rollback, environments and promotion.</summary>
public static class DeploymentsApi
{
    public static IEndpointRouteBuilder MapDeploymentsApi(this IEndpointRouteBuilder app)
    {
        var deployments = app.MapGroup("/api/deployments").WithTags("Deployments");
        deployments.MapPost("/", async (TriggerBody? body, HttpContext http, DeploymentService service, CancellationToken ct) =>
        {
            body ??= new TriggerBody(null, null, null, null);
            if (string.IsNullOrWhiteSpace(body.Component))
            {
                throw ProblemException.Validation("component", "is required");
            }

            var accepted = await service.StartAsync(new DeploymentRequest(body.Component, body.Environment, body.Version ?? string.Empty, Source(http), body.Reason, body.Commit, body.CommittedAt), http.GetCaller(), ct);
            return Accepted(http, accepted);
        }).WithName("TriggerDeployment").RequirePermission(Permissions.DeploymentCreate);

        deployments.MapGet("/", async (string? component, string? environment, int? limit, string? cursor, DeploymentService service, CancellationToken ct) =>
        {
            var (items, next) = await service.ListAsync(component, environment, limit ?? 20, cursor, ct);
            return Results.Ok(new DeploymentPage(items, new PageInfo(next)));
        }).WithName("ListDeployments").RequirePermission(Permissions.DeploymentRead);

        deployments.MapGet("/{id}", async (string id, DeploymentService service, CancellationToken ct) =>
            await service.GetAsync(id, ct) is { } record ? Results.Ok(record) : throw ProblemException.NotFound($"Deployment '{id}' does not exist."))
            .WithName("GetDeployment").RequirePermission(Permissions.DeploymentRead);

        deployments.MapPost("/{id}/rollback", async (string id, RollbackBody? body, HttpContext http, DeploymentService service, CancellationToken ct) =>
        {
            var record = await service.GetAsync(id, ct) ?? throw ProblemException.NotFound($"Deployment '{id}' does not exist.");
            var accepted = await service.RollbackAsync(record.Component, record.Environment, string.IsNullOrWhiteSpace(body?.ToVersion) ? null : body.ToVersion, http.GetCaller(), ct);
            return Accepted(http, accepted);
        }).WithName("RollbackDeployment").RequirePermission(Permissions.DeploymentRollback);

        foreach (var approval in new[] { DeploymentControls.Approve, DeploymentControls.Reject })
        {
            deployments.MapPost($"/{{id}}/{approval}", (string id, ControlBody? body, HttpContext http, DeploymentService service, CancellationToken ct) =>
                    ControlAsync(id, approval, body, http, service, ct))
                .WithName(approval == DeploymentControls.Approve ? "ApproveDeployment" : "RejectDeployment").RequirePermission(Permissions.DeploymentApprove);
        }

        deployments.MapPost("/{id}/{action}", (string id, string action, ControlBody? body, HttpContext http, DeploymentService service, CancellationToken ct) =>
                ControlAsync(id, action, body, http, service, ct))
            .WithName("ControlRelease").RequirePermission(Permissions.ReleaseControl);

        var components = app.MapGroup("/api/components/{namespace}/{name}").WithTags("Deployments");
        components.MapGet("/environments", async (string @namespace, string name, DeploymentService service, CancellationToken ct) =>
                Results.Ok(await service.GetEnvironmentViewsAsync($"component:{@namespace}/{name}", ct)))
            .WithName("GetComponentEnvironments").RequirePermission(Permissions.DeploymentRead, resourceFromRoute: true);

        components.MapPost("/promote", async (string @namespace, string name, PromoteBody? body, HttpContext http, DeploymentService service, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(body?.From) || string.IsNullOrWhiteSpace(body.To))
            {
                throw ProblemException.Validation(new Dictionary<string, string[]>
                {
                    [string.IsNullOrWhiteSpace(body?.From) ? "from" : "to"] = ["is required"],
                });
            }

            var accepted = await service.PromoteAsync($"component:{@namespace}/{name}", body.From, body.To, string.IsNullOrWhiteSpace(body.Version) ? null : body.Version, http.GetCaller(), ct);
            return Accepted(http, accepted);
        }).WithName("PromoteComponent").RequirePermission(Permissions.DeploymentCreate, resourceFromRoute: true);

        components.MapGet("/dora", async (string @namespace, string name, int? days, DoraMetrics dora, CancellationToken ct) =>
                Results.Ok(await dora.ComputeAsync($"component:{@namespace}/{name}", days ?? 30, ct)))
            .WithName("GetComponentDora").RequirePermission(Permissions.MetricsRead, resourceFromRoute: true);
        components.MapPipelineApi();
        app.MapClustersApi();
        return app;
    }

    private static async Task<IResult> ControlAsync(string id, string action, ControlBody? body, HttpContext http, DeploymentService service, CancellationToken ct)
    {
        http.Audit().Detail["deploymentId"] = id;
        http.Audit().Detail["control"] = action;
        await service.SendControlAsync(id, action, body?.Comment, http.GetCaller(), ct);
        return Results.Accepted($"/api/deployments/{id}", new { id, action, status = "Accepted" });
    }

    private static IResult Accepted(HttpContext http, DeploymentAccepted a)
    {
        var audit = http.Audit();
        audit.Target = $"{a.Component}@{a.Environment}";
        audit.Detail["deploymentId"] = a.DeploymentId;
        audit.Detail["version"] = a.Version;
        var baseUri = $"{http.Request.Scheme}://{http.Request.Host}";
        var body = new AcceptedBody(a.DeploymentId, a.Component, a.Environment, a.Version, baseUri + a.StatusUri, $"{baseUri}/api/deployments/{a.DeploymentId}/{{action}}");
        return Results.Accepted(a.StatusUri, body);
    }

    private static string Source(HttpContext http) => http.GetCaller().Channel;
}
