using System.Net;
using System.Net.Http.Json;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Webhooks;

/// <summary>Webhooks against the real catalog feature: components found by their project-slug annotation as ingested from a catalog-info.yaml.</summary>
[Collection("azurite")]
public sealed class WebhookCatalogEndToEndTests(AzuriteFixture azurite) : IDisposable
{
    private const string Secret = "e2e-webhook-secret";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(45);
    private readonly string _dir = Directory.CreateTempSubdirectory("idp-events-e2e-").FullName;

    [Fact]
    public async Task A_release_of_a_repository_deploys_the_opted_in_component_registered_in_the_real_catalog()
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
        }, realCatalog: true);
        host.Policy.Grant(WebhookCaller.Group, Permissions.DeploymentCreate);
        using (var register = await host.Client.PostAsJsonAsync("/api/catalog/locations", new { type = "file", target = Path.Combine(_dir, "catalog-info.yaml") }))
        {
            Assert.True(register.IsSuccessStatusCode, await register.Content.ReadAsStringAsync());
        }

        await Eventually.TrueAsync(async () => (await host.Client.GetAsync($"/api/catalog/entities/by-name/component/default/{repo}")).IsSuccessStatusCode, Wait, "the component in the catalog");

        var release = ProviderPayloads.GitHubRelease("acme", repo, "v7.0.0");
        using var response = await host.Client.SendAsync(Signing.GitHubRequest(release, "release", Guid.NewGuid().ToString(), Signing.GitHub(Secret, release)));
        var pr = ProviderPayloads.GitHubPullRequest("acme", repo, 12, "opened", "open", DateTimeOffset.UtcNow);
        using var prResponse = await host.Client.SendAsync(Signing.GitHubRequest(pr, "pull_request", Guid.NewGuid().ToString(), Signing.GitHub(Secret, pr)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, prResponse.StatusCode);
        var started = await Eventually.ValueAsync(() => Task.FromResult(host.Deployments.Started.Select(s => s.Request).FirstOrDefault(r => r.Component.Contains(repo, StringComparison.Ordinal))), Wait, "the deployment");
        Assert.Equal($"component:default/{repo}", started.Component);
        Assert.Equal("v7.0.0", started.Version);
        var count = await Eventually.ValueAsync(async () =>
        {
            var c = await host.Client.GetFromJsonAsync<PullRequestCount>($"/api/components/default/{repo}/pull-requests");
            return c is { Open: 1 } ? c : null;
        }, Wait, "the open pull request");
        Assert.NotNull(count.UpdatedAt);
        Assert.Single(host.Deployments.Started, s => s.Request.Component.Contains(repo, StringComparison.Ordinal)); // the docs site did not opt in
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
