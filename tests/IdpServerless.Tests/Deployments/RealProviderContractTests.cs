using System.Text.Json;
using IdpServerless.Functions.Clusters;
using IdpServerless.Functions.Delivery;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Git;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Options;

namespace IdpServerless.Tests.Deployments;

/// <summary>
/// The Argo CD and Kubernetes providers against in-process HTTP fakes of the API subset they use, answering with the
/// documented response shapes (Argo CD's Application status, Kubernetes list objects).
/// </summary>
public class RealProviderContractTests
{
    private static async Task<WebApplication> FakeAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static bool Authorized(HttpContext http) => http.Request.Headers.Authorization == "Bearer secret-token";

    [Fact]
    public async Task Argo_CD_application_status_and_sync_follow_its_REST_API()
    {
        var synced = false;
        string? syncBody = null;
        await using var fake = await FakeAsync(app =>
        {
            app.MapGet("/api/v1/applications/{name}", (string name, HttpContext http) =>
            {
                if (!Authorized(http))
                {
                    return Results.Json(new { error = "no session information", code = 16 }, statusCode: 401);
                }

                if (name != "web-prod")
                {
                    return Results.Json(new { error = $"applications.argoproj.io \"{name}\" not found", code = 5, message = $"applications.argoproj.io \"{name}\" not found" }, statusCode: 404);
                }

                return Results.Json(new
                {
                    metadata = new { name },
                    status = synced
                        ? new { sync = new { status = "Synced", revision = "bbb222" }, health = new { status = "Healthy", message = (string?)null } }
                        : new { sync = new { status = "OutOfSync", revision = "aaa111" }, health = new { status = "Progressing", message = (string?)"Waiting for rollout to finish: 1 of 2 updated replicas are available..." } },
                });
            });
            app.MapPost("/api/v1/applications/{name}/sync", async (string name, HttpContext http) =>
            {
                syncBody = await new StreamReader(http.Request.Body).ReadToEndAsync();
                if (synced)
                {
                    return Results.Json(new { error = "another operation is already in progress", code = 9 }, statusCode: 400);
                }

                synced = true;
                return Results.Json(new { metadata = new { name } });
            });
        });
        var provider = new ArgoCdProvider(fake.GetTestClient(), Options.Create(new DeliveryOptions { ArgoCdUrl = "http://argocd.test", ArgoCdToken = "secret-token" }));
        var app = new CdApplication("web-prod", new DesiredStateLocation(new RepoRef("gitops", "web"), "prod", "main"), [new ClusterTarget("east", "web")], "web");

        var before = await provider.GetStatusAsync(app, default);
        await provider.SyncAsync(app, default);
        var after = await provider.GetStatusAsync(app, default);
        await provider.SyncAsync(app, default); // "already in progress" means what we asked for is happening
        var missing = await provider.GetStatusAsync(app with { Name = "nope" }, default);
        var unauthorized = new ArgoCdProvider(fake.GetTestClient(), Options.Create(new DeliveryOptions { ArgoCdUrl = "http://argocd.test", ArgoCdToken = "wrong" }));

        Assert.Equal((SyncStatuses.OutOfSync, "aaa111", HealthStatuses.Progressing), (before.Sync, before.Revision, before.Health));
        Assert.Contains("1 of 2 updated replicas", before.Message, StringComparison.Ordinal);
        Assert.Equal((SyncStatuses.Synced, "bbb222", HealthStatuses.Healthy), (after.Sync, after.Revision, after.Health));
        Assert.Equal("main", JsonDocument.Parse(syncBody!).RootElement.GetProperty("revision").GetString());
        Assert.Equal(HealthStatuses.Missing, missing.Health);
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => unauthorized.GetStatusAsync(app, default));
        Assert.Contains("401", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubernetes_workloads_nodes_and_events_are_read_from_its_REST_API()
    {
        var selectors = new List<string?>();
        await using var fake = await FakeAsync(app =>
        {
            app.Use(async (http, next) =>
            {
                if (!Authorized(http))
                {
                    http.Response.StatusCode = 401;
                    await http.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", status = "Failure", message = "Unauthorized", reason = "Unauthorized", code = 401 });
                    return;
                }

                await next(http);
            });
            app.MapGet("/api/v1/nodes", () => Results.Json(new
            {
                kind = "NodeList",
                apiVersion = "v1",
                items = new[] { "node-a", "node-b" }.Select((n, i) => new
                {
                    metadata = new { name = n },
                    status = new
                    {
                        capacity = new { cpu = "4", memory = "16Gi" },
                        allocatable = new { cpu = "3500m", memory = "15Gi" },
                        conditions = new[] { new { type = "Ready", status = i == 0 ? "True" : "False", reason = "KubeletReady", message = "kubelet is posting ready status" } },
                    },
                }),
            }));
            app.MapGet("/apis/apps/v1/namespaces/shop/deployments", (HttpContext http) =>
            {
                selectors.Add(http.Request.Query["labelSelector"]);
                return Results.Json(new
                {
                    kind = "DeploymentList",
                    apiVersion = "apps/v1",
                    items = new object[]
                    {
                        Deployment("web-stable", "stable", "1.0.0", replicas: 3, ready: 3, updated: 3),
                        Deployment("web-canary", "canary", "2.0.0", replicas: 1, ready: 0, updated: 1),
                    },
                });
            });
            app.MapGet("/api/v1/namespaces/shop/pods", (HttpContext http) =>
            {
                selectors.Add(http.Request.Query["labelSelector"]);
                return Results.Json(new
                {
                    kind = "PodList",
                    apiVersion = "v1",
                    items = new[]
                    {
                        new
                        {
                            metadata = new { name = "web-canary-7d9f-abcde", labels = new Dictionary<string, string> { ["app"] = "web", ["track"] = "canary" } },
                            status = new { phase = "Running", containerStatuses = new[] { new { name = "app", ready = false, state = new { waiting = new { reason = "CrashLoopBackOff", message = "back-off 40s restarting failed container" } } } } },
                        },
                    },
                });
            });
            app.MapGet("/api/v1/namespaces/shop/events", () => Results.Json(new
            {
                kind = "EventList",
                apiVersion = "v1",
                items = new[]
                {
                    new { type = "Warning", reason = "BackOff", message = "Back-off restarting failed container", lastTimestamp = "2026-11-21T10:05:00Z", involvedObject = new { kind = "Pod", name = "web-canary-7d9f-abcde" } },
                    new { type = "Normal", reason = "Scheduled", message = "Successfully assigned", lastTimestamp = "2026-11-21T10:00:00Z", involvedObject = new { kind = "Pod", name = "other-1" } },
                },
            }));
        });
        var options = Options.Create(new ClusterOptions
        {
            Provider = "kubernetes",
            Kubernetes = { ["east"] = new KubernetesClusterOptions { Server = "http://k8s.test", Token = "secret-token", Region = "eastus" } },
        });
        var provider = new KubernetesClusterProvider(new FakeFactory(fake.GetTestClient()), options);

        var cluster = Assert.Single(await provider.ListClustersAsync(default));
        var workloads = (await provider.GetWorkloadsAsync("east", "shop", "web", default)).ToDictionary(w => w.Track);
        var events = await provider.GetEventsAsync("east", "shop", "web", default);

        Assert.Equal(("east", "kubernetes", "eastus", "Degraded", 2), (cluster.Name, cluster.Provider, cluster.Region, cluster.Status, cluster.Nodes));
        Assert.Equal((1, 8), (cluster.Cpu.Used, cluster.Cpu.Capacity));
        Assert.Equal(32, cluster.Memory.Capacity);
        Assert.Equal(("1.0.0", "Healthy", 3), (workloads["stable"].Version, workloads["stable"].Status, workloads["stable"].Replicas.Ready));
        Assert.Equal(("2.0.0", "Degraded"), (workloads["canary"].Version, workloads["canary"].Status));
        Assert.All(selectors, s => Assert.Equal("app=web", s));
        var e = Assert.Single(events);
        Assert.Equal(("Warning", "BackOff", "pod/web-canary-7d9f-abcde"), (e.Type, e.Reason, e.Object));
        await Assert.ThrowsAsync<ClusterNotFoundException>(() => provider.GetWorkloadsAsync("west", "shop", "web", default));

        static object Deployment(string name, string track, string version, int replicas, int ready, int updated) => new
        {
            metadata = new { name, @namespace = "shop", labels = new Dictionary<string, string> { ["app"] = "web", ["track"] = track, ["version"] = version } },
            spec = new { replicas, template = new { spec = new { containers = new[] { new { name = "app", image = $"registry.local/web:{version}" } } } } },
            status = new { replicas, readyReplicas = ready, updatedReplicas = updated, conditions = new[] { new { type = "Progressing", status = "True", reason = "NewReplicaSetAvailable", message = "ok" } } },
        };
    }

    [Fact]
    public void A_kubeconfig_gives_the_current_contexts_server_and_token()
    {
        var (server, token) = Kubeconfig.Read("""
            apiVersion: v1
            kind: Config
            current-context: prod
            clusters:
              - name: dev-cluster
                cluster: {server: "https://dev.example:6443"}
              - name: prod-cluster
                cluster: {server: "https://prod.example:6443", certificate-authority-data: "LS0t"}
            contexts:
              - name: dev
                context: {cluster: dev-cluster, user: dev-user}
              - name: prod
                context: {cluster: prod-cluster, user: prod-user, namespace: shop}
            users:
              - name: dev-user
                user: {token: dev-token}
              - name: prod-user
                user: {token: prod-token}
            """);

        Assert.Equal(("https://prod.example:6443", "prod-token"), (server, token));
        Assert.Equal(3500 * 0.001, KubernetesClusterProvider.Quantity("3500m"));
        Assert.Equal(16d * 1024 * 1024 * 1024, KubernetesClusterProvider.Quantity("16Gi"));
    }

    private sealed class FakeFactory(HttpClient client) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => client;
    }
}
