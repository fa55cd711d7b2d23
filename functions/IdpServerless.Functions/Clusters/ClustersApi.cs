using IdpServerless.Functions.Clusters.Simulated;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Monitoring;
using IdpServerless.Hosting;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Clusters;

/// <summary>A fault to inject into a simulated cluster.</summary>
public sealed record FaultBody(string? Version, string? App, bool? Unhealthy, double? ErrorRate, double? LatencyMs);

/// <summary>A component's workload in one cluster, with the environment it belongs to.</summary>
public sealed record ComponentWorkload(string Environment, string Cluster, string Namespace, string Name, string Track, string Version, ReplicaCounts Replicas, string Status, string? Message);

/// <summary>An alert as the browser shows it.</summary>
public sealed record AlertView(string Name, string Severity, string State, string Summary, DateTimeOffset Since, IReadOnlyDictionary<string, string> Labels);

/// <summary>HTTP functions of clusters: health and capacity, a component's workloads and alerts, and (local mode) fault injection.</summary>
public static class ClustersApi
{
    public static IEndpointRouteBuilder MapClustersApi(this IEndpointRouteBuilder app)
    {
        var clusters = app.MapGroup("/api/clusters").WithTags("Clusters");
        clusters.MapGet("/", async (IClusterProvider provider, CancellationToken ct) => Results.Ok(await provider.ListClustersAsync(ct)))
            .WithName("ListClusters").RequirePermission(Permissions.ClusterRead);

        clusters.MapGet("/{name}/faults", (string name, HttpContext http) =>
                Results.Ok((Fleet(http).Find(name) ?? throw ProblemException.NotFound($"Cluster '{name}' is not a simulated cluster.")).Faults()))
            .WithName("ListClusterFaults").RequirePermission(Permissions.OrchestrationControl);

        clusters.MapPost("/{name}/faults", (string name, FaultBody? body, HttpContext http) =>
        {
            var cluster = Fleet(http).Find(name) ?? throw ProblemException.NotFound($"Cluster '{name}' is not a simulated cluster.");
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            if (string.IsNullOrWhiteSpace(body?.Version))
            {
                errors["version"] = ["is required: the version the fault applies to"];
            }

            if (body?.ErrorRate is < 0 or > 1)
            {
                errors["errorRate"] = ["must be from 0 to 1"];
            }

            if (body?.LatencyMs is < 0 or > 600_000)
            {
                errors["latencyMs"] = ["must be from 0 to 600000"];
            }

            if (body is not null && body.Unhealthy is null && body.ErrorRate is null && body.LatencyMs is null)
            {
                errors["unhealthy"] = ["give at least one of unhealthy, errorRate, latencyMs"];
            }

            if (errors.Count > 0)
            {
                throw ProblemException.Validation(errors);
            }

            cluster.AddFault(new SimulatedFault(body!.Version!, string.IsNullOrWhiteSpace(body.App) ? null : body.App, body.Unhealthy == true, body.ErrorRate, body.LatencyMs / 1000.0));
            return Results.Ok(cluster.Faults());
        }).WithName("InjectClusterFault").RequirePermission(Permissions.OrchestrationControl);

        clusters.MapDelete("/{name}/faults", (string name, HttpContext http) =>
        {
            var cluster = Fleet(http).Find(name) ?? throw ProblemException.NotFound($"Cluster '{name}' is not a simulated cluster.");
            cluster.ClearFaults();
            return Results.NoContent();
        }).WithName("ClearClusterFaults").RequirePermission(Permissions.OrchestrationControl);

        var components = app.MapGroup("/api/components/{namespace}/{name}").WithTags("Clusters");
        components.MapGet("/workloads", async (string @namespace, string name, ComponentDeliveryResolver resolver, IClusterProvider provider, CancellationToken ct) =>
        {
            var delivery = await resolver.ResolveAsync($"component:{@namespace}/{name}", "component", ct);
            var list = new List<ComponentWorkload>();
            foreach (var env in delivery.Environments)
            {
                foreach (var target in env.Clusters)
                {
                    IReadOnlyList<Workload> workloads;
                    try
                    {
                        workloads = await provider.GetWorkloadsAsync(target.Name, target.Namespace, delivery.Name, ct);
                    }
                    catch (Exception e) when (e is ClusterNotFoundException or ClusterUnavailableException)
                    {
                        // A cluster that is not configured or cannot answer is one row saying why; the other clusters still show.
                        list.Add(new ComponentWorkload(env.Name, target.Name, target.Namespace, delivery.Name, string.Empty, string.Empty, new ReplicaCounts(0, 0, 0), "Unknown", e.Message));
                        continue;
                    }

                    list.AddRange(workloads.Select(w => new ComponentWorkload(env.Name, w.Cluster, w.Namespace, w.Name, w.Track, w.Version, w.Replicas, w.Status, w.Message)));
                }
            }

            return Results.Ok(list);
        }).WithName("GetComponentWorkloads").RequirePermission(Permissions.ClusterRead, resourceFromRoute: true);

        components.MapGet("/alerts", async (string @namespace, string name, IMetricsProvider metrics, CancellationToken ct) =>
        {
            var alerts = await metrics.GetAlertsAsync(name, null, ct);
            return Results.Ok(alerts.Select(a => new AlertView(a.Name, a.Severity, a.State, a.Summary, a.Since, a.Labels)));
        }).WithName("GetComponentAlerts").RequirePermission(Permissions.MetricsRead, resourceFromRoute: true);
        return app;
    }

    // Fault injection is a local-mode tool for demos and tests: never available against real clusters.
    private static SimulatedClusterFleet Fleet(HttpContext http)
    {
        var info = http.RequestServices.GetRequiredService<FunctionAppInfo>();
        var fleet = http.RequestServices.GetService<SimulatedClusterFleet>();
        if (!info.IsLocal || fleet is null)
        {
            throw ProblemException.NotFound("Fault injection exists only in local mode (IDP_MODE=local) with simulated clusters.");
        }

        return fleet;
    }
}
