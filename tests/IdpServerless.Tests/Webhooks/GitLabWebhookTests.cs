using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Webhooks;

/// <summary>GitLab deliveries with <c>X-Gitlab-Token</c>, as GitLab sends them.</summary>
[Collection("azurite")]
public class GitLabWebhookTests(AzuriteFixture azurite)
{
    private const string Token = "gitlab-shared-token";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static Dictionary<string, string?> Settings() => new()
    {
        ["Webhooks__GitLab__DefaultSecret"] = "local:gl-default",
        ["Secrets__gl-default"] = Token,
    };

    [Fact]
    public async Task Push_tag_push_merge_request_and_pipeline_hooks_are_accepted_and_have_their_effects()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, Settings());
        host.Policy.Grant(WebhookCaller.Group, Permissions.DeploymentCreate);
        var name = GitHubWebhookTests.Unique();
        var path = $"platform/backend/{name}";
        host.Catalog.AddComponent(name, (EventAnnotations.GitLabProjectSlug, path), (EventAnnotations.AutoDeploy, "true"));
        var location = $"https://gitlab.example.com/{path}/-/blob/main/catalog-info.yaml";
        host.Directory.AddUser("reader-" + name, []);
        host.Catalog.Locations.Add(location);
        var sha = GitHubWebhookTests.Sha();

        var hooks = new[]
        {
            (ProviderPayloads.GitLabPush(path, "main", sha, "catalog-info.yaml"), "Push Hook"),
            (ProviderPayloads.GitLabTagPush(path, "v5.1.0"), "Tag Push Hook"),
            (ProviderPayloads.GitLabMergeRequest(path, 7, "opened", "open", "2013-12-03 17:23:34 UTC"), "Merge Request Hook"),
            (ProviderPayloads.GitLabMergeRequest(path, 8, "merged", "merge", "2013-12-04T10:00:00Z"), "Merge Request Hook"),
            (ProviderPayloads.GitLabPipeline(path, "success"), "Pipeline Hook"),
        };
        foreach (var (body, header) in hooks)
        {
            using var r = await host.Client.SendAsync(Signing.GitLabRequest(body, header, Guid.NewGuid().ToString(), Token));
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }

        var versions = await Eventually.ValueAsync(() =>
        {
            var v = host.Deployments.Started.Where(s => s.Request.Component == $"component:default/{name}").Select(s => s.Request.Version).Order(StringComparer.Ordinal).ToList();
            return Task.FromResult(v.Count >= 2 ? v : null);
        }, Wait, "two deployments");
        Assert.Equal(new[] { sha, "v5.1.0" }.Order(StringComparer.Ordinal), versions);
        Assert.All(host.Deployments.Started.Where(s => s.Request.Component == $"component:default/{name}"), s => Assert.Equal($"system:gitlab:{path}", s.Caller.UserRef));
        await Eventually.TrueAsync(() => Task.FromResult(host.Audit.Events.Any(a => a.Action == "webhook.catalog-refresh" && a.Target == location)), Wait, "the catalog refresh");
        var count = await Eventually.ValueAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/components/default/{name}/pull-requests");
            request.Headers.Add(EventsAppHost.TestUserHeader, $"user:default/reader-{name}");
            using var response = await host.Client.SendAsync(request);
            var c = await response.Content.ReadFromJsonAsync<PullRequestCount>();
            return c?.UpdatedAt is not null && host.Audit.Events.Count(a => a.Action == "webhook.pull-request" && a.Target!.StartsWith(path, StringComparison.Ordinal)) == 2 ? c : null;
        }, Wait, "the merge-request count");
        Assert.Equal(1, count.Open);
    }

    [Fact]
    public async Task A_missing_or_wrong_token_gets_401_and_nothing_is_queued()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, Settings());
        host.Policy.Grant(WebhookCaller.Group, Permissions.DeploymentCreate);
        var name = GitHubWebhookTests.Unique();
        var path = $"platform/{name}";
        host.Catalog.AddComponent(name, (EventAnnotations.GitLabProjectSlug, path), (EventAnnotations.AutoDeploy, "true"));
        var body = ProviderPayloads.GitLabTagPush(path, "v1.0.0");

        foreach (var token in new string?[] { null, "wrong", Token + " ", Token.ToUpperInvariant() })
        {
            using var r = await host.Client.SendAsync(Signing.GitLabRequest(body, "Tag Push Hook", Guid.NewGuid().ToString(), token));
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            var problem = await r.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(401, problem.GetProperty("status").GetInt32());
        }

        await Eventually.TrueAsync(async () => await host.Storage.GetQueue(WebhookEnvelope.QueueName).GetApproximateCountAsync() == 0, Wait, "the webhook queue to be empty");
        Assert.DoesNotContain(host.Deployments.Started, s => s.Request.Component == $"component:default/{name}");
    }

    [Fact]
    public async Task The_same_gitlab_event_uuid_ten_times_deploys_once()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, Settings());
        host.Policy.Grant(WebhookCaller.Group, Permissions.DeploymentCreate);
        var name = GitHubWebhookTests.Unique();
        var path = $"platform/{name}";
        host.Catalog.AddComponent(name, (EventAnnotations.GitLabProjectSlug, path), (EventAnnotations.AutoDeploy, "true"));
        var body = ProviderPayloads.GitLabTagPush(path, "v2.0.0");
        var uuid = Guid.NewGuid().ToString();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var r = await host.Client.SendAsync(Signing.GitLabRequest(body, "Tag Push Hook", uuid, Token));
            statuses.Add(r.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Accepted, statuses[0]);
        Assert.All(statuses.Skip(1), s => Assert.Equal(HttpStatusCode.OK, s));
        await Eventually.TrueAsync(() => Task.FromResult(host.Deployments.Started.Any(s => s.Request.Component == $"component:default/{name}")), Wait, "the deployment");
        await Eventually.TrueAsync(async () => await host.Storage.GetQueue(WebhookEnvelope.QueueName).GetApproximateCountAsync() == 0, Wait, "the webhook queue to drain");
        Assert.Single(host.Deployments.Started, s => s.Request.Component == $"component:default/{name}");
    }
}
