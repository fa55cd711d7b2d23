using IdpServerless.Functions.Delivery;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Orchestrations;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Git.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IdpServerless.Tests.Deployments;

/// <summary>
/// A wave's rollout check through the Argo CD provider against an in-process fake of Argo CD's Application API: one
/// Application per cluster, named {app}-{environment}-{cluster}, each with its cluster's folder as source.
/// </summary>
public class WaveArgoCdContractTests
{
    [Fact]
    public async Task A_wave_asks_argo_cd_for_one_application_per_cluster_and_is_as_healthy_as_its_least_healthy_cluster()
    {
        var asked = new List<string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var fake = builder.Build();
        fake.MapGet("/api/v1/applications/{name}", (string name) =>
        {
            lock (asked)
            {
                asked.Add(name);
            }

            return name switch
            {
                "web-prod-local-east" => Results.Json(new { metadata = new { name }, status = new { sync = new { status = "Synced", revision = "abc123" }, health = new { status = "Healthy" } } }),
                "web-prod-local-west" => Results.Json(new { metadata = new { name }, status = new { sync = new { status = "Synced", revision = "abc123" }, health = new { status = "Degraded", message = "Deployment web-stable exceeded its progress deadline" } } }),
                _ => Results.Json(new { error = $"applications.argoproj.io \"{name}\" not found", code = 5 }, statusCode: 404),
            };
        });
        await fake.StartAsync();
        var dataDir = Path.Combine(Path.GetTempPath(), "idp-waves-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var git = new LocalGitProvider(new GitOptions { DataDir = dataDir }, TimeProvider.System, NullLogger<LocalGitProvider>.Instance);
            var argo = new ArgoCdProvider(fake.GetTestClient(), Options.Create(new DeliveryOptions { ArgoCdUrl = "http://argocd.test" }));
            var clusters = new List<ClusterTarget> { new("local-east", "web"), new("local-west", "web") };
            var env = new DeliveryEnvironment("prod", 0, clusters, new DeliveryStrategy(StrategyTypes.Rolling, [], new Dictionary<string, AnalysisMetric>(), false, TimeSpan.Zero, null),
                Protection.None, new DesiredStateLocation(new RepoRef("gitops", "web"), "prod", "main"), TimeSpan.FromMinutes(1), 2,
                [new DeliveryWave("first", ["local-east"]), new DeliveryWave("rest", ["local-west"])]);
            var apps = clusters.Select(c => WaveLayout.Application("web", env, c)).ToList();

            var east = await new CheckWaveRolloutActivity(argo, git).RunAsync(new WaveRolloutInput([apps[0]], "abc123"));
            var both = await new CheckWaveRolloutActivity(argo, git).RunAsync(new WaveRolloutInput(apps, "abc123"));

            Assert.Equal(["prod/clusters/local-east", "prod/clusters/local-west"], apps.Select(a => a.Source.Path));
            Assert.Equal([["local-east"], ["local-west"]], apps.Select(a => a.Destinations.Select(d => d.Name)));
            Assert.Equal((true, HealthStatuses.Healthy, "abc123", null), (east.Synced, east.Health, east.Revision, east.Message));
            Assert.Equal((true, HealthStatuses.Degraded), (both.Synced, both.Health));
            Assert.Equal("local-west: Deployment web-stable exceeded its progress deadline", both.Message);
            Assert.Equal(["web-prod-local-east", "web-prod-local-east", "web-prod-local-west"], asked);
        }
        finally
        {
            await fake.StopAsync();
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }
}
