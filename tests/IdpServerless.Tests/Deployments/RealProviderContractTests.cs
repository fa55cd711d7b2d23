using System.Text.Json;
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
/// The Argo CD provider against an in-process HTTP fake of the API subset it uses, answering with the documented
/// response shapes (Argo CD's Application status). The Kubernetes provider's contract tests, against a loopback fake
/// API server, are in Clusters/KubernetesClusterProviderTests.
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
}
