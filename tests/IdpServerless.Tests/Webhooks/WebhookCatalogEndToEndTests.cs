using System.Net;
using System.Net.Http.Json;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Webhooks;

/// <summary>
/// Webhooks against the real catalog and identity's real RBAC: components found by their project-slug annotation as
/// ingested from a catalog-info.yaml, auto-deploy allowed only once a role binding grants it to the webhook group.
/// </summary>
[Collection("azurite")]
public sealed class WebhookCatalogEndToEndTests(AzuriteFixture azurite) : IDisposable
{
    private const string Secret = "e2e-webhook-secret";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(45);
    private readonly string _dir = Directory.CreateTempSubdirectory("idp-events-e2e-").FullName;

    [Fact]
    public async Task A_release_deploys_the_opted_in_catalog_component_once_a_role_binding_lets_webhooks_deploy_for_its_team()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var repo = "orders-" + suffix;
        File.WriteAllText(Path.Combine(_dir, "catalog-info.yaml"), $"""
            apiVersion: backstage.io/v1alpha1
            kind: Group
            metadata:
              name: team-{suffix}
            spec:
              type: team
              children: []
            ---
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: {repo}
              annotations:
                github.com/project-slug: acme/{repo}
                idp.dev/auto-deploy: "true"
            spec:
              type: service
              lifecycle: production
              owner: team-{suffix}
            ---
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: {repo}-docs
              annotations:
                github.com/project-slug: acme/{repo}
            spec:
              type: website
              lifecycle: production
              owner: team-{suffix}
            """);
        await using var host = await EventsAppHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Webhooks__GitHub__DefaultSecret"] = "local:e2e",
            ["Secrets__e2e"] = Secret,
            ["Catalog__FileRoots__0"] = _dir,
            ["Catalog__EntitiesTable"] = "ent" + suffix,
            ["Catalog__LocationsTable"] = "loc" + suffix,
            ["Catalog__ChangesTable"] = "chg" + suffix,
            ["Catalog__RefreshQueue"] = "refresh-" + suffix,
            ["IDP_RBAC_TABLE"] = "rbac" + suffix,
            ["IDP_BOOTSTRAP_ADMINS"] = $"user:default/catalog-admin-{suffix}",
        }, realCatalog: true, realPolicy: true);
        host.Directory.AddUser("catalog-admin-" + suffix, []);
        var admin = $"user:default/catalog-admin-{suffix}";
        using (var register = await SendAsync(host, HttpMethod.Post, "/api/catalog/locations", admin, new { type = "file", target = Path.Combine(_dir, "catalog-info.yaml") }))
        {
            Assert.True(register.IsSuccessStatusCode, await register.Content.ReadAsStringAsync());
        }

        await Eventually.TrueAsync(async () =>
        {
            using var r = await SendAsync(host, HttpMethod.Get, $"/api/catalog/entities/by-name/component/default/{repo}", admin, null);
            return r.IsSuccessStatusCode;
        }, Wait, "the component in the catalog");

        // Without a binding the webhook principal may not deploy: poisoned with the reason.
        var early = ProviderPayloads.GitHubRelease("acme", repo, "v6.9.0");
        var earlyDelivery = Guid.NewGuid().ToString();
        using (var r = await host.Client.SendAsync(Signing.GitHubRequest(early, "release", earlyDelivery, Signing.GitHub(Secret, early))))
        {
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }

        var poison = host.Storage.GetQueue(WebhookEnvelope.QueueName + "-poison");
        var record = await Eventually.ValueAsync(async () =>
        {
            await poison.CreateIfNotExistsAsync();
            return (await poison.PeekAsync(32)).Select(m => PoisonRecord.TryParse(m.Body)).FirstOrDefault(p => p?.Body.Contains(earlyDelivery, StringComparison.Ordinal) == true);
        }, Wait, "the refused delivery in the poison queue");
        Assert.Contains(Permissions.DeploymentCreate, record.Reason, StringComparison.Ordinal);

        using (var bind = await SendAsync(host, HttpMethod.Post, "/api/rbac/bindings", admin,
                   new { subject = WebhookCaller.Group, role = "application-developer", scope = $"group:default/team-{suffix}" }))
        {
            Assert.True(bind.IsSuccessStatusCode, await bind.Content.ReadAsStringAsync());
        }

        var release = ProviderPayloads.GitHubRelease("acme", repo, "v7.0.0");
        var releaseDelivery = Guid.NewGuid().ToString();
        using var response = await host.Client.SendAsync(Signing.GitHubRequest(release, "release", releaseDelivery, Signing.GitHub(Secret, release)));
        var pr = ProviderPayloads.GitHubPullRequest("acme", repo, 12, "opened", "open", DateTimeOffset.UtcNow);
        using var prResponse = await host.Client.SendAsync(Signing.GitHubRequest(pr, "pull_request", Guid.NewGuid().ToString(), Signing.GitHub(Secret, pr)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, prResponse.StatusCode);
        var started = await Eventually.ValueAsync(async () =>
        {
            var refused = (await poison.PeekAsync(32)).Select(m => PoisonRecord.TryParse(m.Body)).FirstOrDefault(p => p?.Body.Contains(releaseDelivery, StringComparison.Ordinal) == true);
            Assert.True(refused is null, "the release was refused: " + refused?.Reason);
            return host.Deployments.Started.Select(s => s.Request).FirstOrDefault(r => r.Component.Contains(repo, StringComparison.Ordinal));
        }, Wait, "the deployment");
        Assert.Equal($"component:default/{repo}", started.Component);
        Assert.Equal("v7.0.0", started.Version);
        var count = await Eventually.ValueAsync(async () =>
        {
            using var r = await SendAsync(host, HttpMethod.Get, $"/api/components/default/{repo}/pull-requests", admin, null);
            var c = await r.Content.ReadFromJsonAsync<PullRequestCount>();
            return c is { Open: 1 } ? c : null;
        }, Wait, "the open pull request");
        Assert.NotNull(count.UpdatedAt);
        Assert.Single(host.Deployments.Started, s => s.Request.Component.Contains(repo, StringComparison.Ordinal)); // the docs site did not opt in
    }

    private static Task<HttpResponseMessage> SendAsync(EventsAppHost host, HttpMethod method, string path, string user, object? body)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add(EventsAppHost.TestUserHeader, user);
        return host.Client.SendAsync(request);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
