using System.Net;
using System.Text.Json;
using IdpServerless.Functions.Notifications;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;
using IdpServerless.Tests.Notifications;

namespace IdpServerless.Tests.Webhooks;

/// <summary>
/// The whole event path with the real deployments feature: a signed GitHub release starts a real deployment
/// (GitOps commit, simulated cluster), whose events come back through the notification outbox to a Slack sink.
/// </summary>
[Collection("azurite")]
public sealed class WebhookToDeploymentEndToEndTests(AzuriteFixture azurite) : IDisposable
{
    private const string Secret = "e2e-deploy-secret";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private readonly string _dataDir = Directory.CreateTempSubdirectory("idp-events-deploy-").FullName;

    [Fact]
    public async Task A_signed_release_deploys_for_real_to_the_first_environment_and_slack_hears_it_started_and_succeeded()
    {
        await using var slack = await HttpSink.StartNewAsync();
        var components = new Deployments.TestComponents();
        var name = "shop-" + Guid.NewGuid().ToString("N")[..8];
        components.Add(name, "dev,prod");
        await using var host = await EventsAppHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["IDP_MODE"] = "local",
            ["IDP_DATA_DIR"] = _dataDir,
            ["Durable:TaskHub"] = "e" + Guid.NewGuid().ToString("N")[..10],
            ["Durable:PartitionCount"] = "1",
            ["Durable:MaxQueuePollingInterval"] = "00:00:00.500",
            ["Durable:LeaseAcquireInterval"] = "00:00:01",
            ["Deployments:PollInterval"] = "00:00:00.100",
            ["Deployments:ProgressDeadline"] = "00:00:20",
            ["Clusters:ConvergenceTime"] = "00:00:00.200",
            ["Clusters:Simulated"] = "local-east=eastus",
            ["Deployments:DefaultClusters"] = "local-east",
            ["Notifications:Provider"] = "live",
            ["Webhooks:GitHub:DefaultSecret"] = "local:e2e-deploy",
            ["Secrets:e2e-deploy"] = Secret,
            ["Secrets:team-slack"] = slack.Url + "/services/T1/B1/x",
        }, realDeploymentsFor: components);
        host.Policy.Grant(WebhookCaller.Group, Permissions.DeploymentCreate);
        host.Catalog.AddComponent(name, (EventAnnotations.GitHubProjectSlug, $"acme/{name}"), (EventAnnotations.AutoDeploy, "true"));
        var (team, _, owner) = NotificationTestKit.Team(host);
        host.Directory.Owners[$"component:default/{name}"] = [team];
        await NotificationTestKit.SubscribeAsync(host, owner, new
        {
            team,
            events = new[] { NotificationEvents.DeploymentStarted, NotificationEvents.DeploymentSucceeded, NotificationEvents.DeploymentFailed },
            channel = new { type = "slack", webhookUrlRef = "local:team-slack" },
        });

        var release = ProviderPayloads.GitHubRelease("acme", name, "2.3.4");
        using var response = await host.Client.SendAsync(Signing.GitHubRequest(release, "release", Guid.NewGuid().ToString(), Signing.GitHub(Secret, release)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var texts = await Eventually.ValueAsync(() =>
        {
            var t = slack.Received.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("text").GetString()!).ToList();
            Assert.DoesNotContain(t, x => x.Contains("failed", StringComparison.OrdinalIgnoreCase));
            return Task.FromResult(t.Any(x => x.Contains("Deployed", StringComparison.Ordinal)) ? t : null);
        }, Wait, "the deployment.succeeded message in Slack");
        Assert.Contains(texts, t => t.Contains("Deploying", StringComparison.Ordinal) && t.Contains(name, StringComparison.Ordinal));
        var succeeded = texts.Single(t => t.Contains("Deployed", StringComparison.Ordinal));
        Assert.Contains(name, succeeded, StringComparison.Ordinal);
        Assert.Contains("2.3.4", succeeded, StringComparison.Ordinal);
        Assert.Contains("dev", succeeded, StringComparison.Ordinal);
        Assert.Contains(host.Audit.Events, a => a.Action == "webhook.auto-deploy" && a.Outcome == AuditOutcomes.Success && a.Detail!["environment"] == "dev");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: git may still hold a file for a moment.
        }
    }
}
