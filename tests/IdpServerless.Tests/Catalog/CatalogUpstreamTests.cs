using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Hosting.Problems;
using IdpServerless.Tests.Git.Fakes;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Catalog;

/// <summary>
/// Registering a location whose content lives on GitHub while GitHub fails: the caller gets GitHub's failure as a 502
/// (503 with GitHub's wait when rate limited), never a 500, and nothing is registered; once GitHub answers, the same
/// registration goes through.
/// </summary>
[Collection("azurite")]
public class CatalogUpstreamTests(AzuriteFixture azurite)
{
    private const string Org = "idp-org";

    [Fact]
    public async Task A_GitHub_failure_while_registering_is_a_502_or_503_and_registers_nothing()
    {
        await using var github = await FakeGitHub.StartAsync(orgs: Org);
        await using var app = await CatalogTestApp.StartAsync(azurite, new Dictionary<string, string>
        {
            ["IDP_GIT_PROVIDER"] = "github",
            ["IDP_GITHUB_API"] = github.ApiUrl,
            ["IDP_GITHUB_TOKEN"] = "local:github-token",
            ["Secrets__github-token"] = github.Token,
            ["IDP_GITHUB_MAX_RETRIES"] = "0",
        });

        github.InjectForbidden();
        using (var refused = await app.RegisterAsync($"{Org}/shop/catalog-info.yaml", type: "git"))
        {
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
            Assert.Equal(ProblemTypes.Upstream, problem.GetProperty("type").GetString());
            Assert.Equal("GitHub", problem.GetProperty("upstream").GetString());
            Assert.Equal(403, problem.GetProperty("upstreamStatus").GetInt32());
        }

        github.InjectTooManyRequests(retryAfterSeconds: 120);
        using (var limited = await app.RegisterAsync($"{Org}/shop/catalog-info.yaml", type: "git"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, limited.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(120), limited.Headers.RetryAfter?.Delta);
        }

        using (var listed = await app.Http.GetAsync("/api/catalog/locations"))
        {
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
            Assert.Equal(0, (await listed.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength());
        }

        // GitHub answers again: the repository does not exist, which is the caller's mistake (4xx), not GitHub's failure.
        using var missing = await app.RegisterAsync($"{Org}/shop/catalog-info.yaml", type: "git");
        Assert.InRange((int)missing.StatusCode, 400, 499);
    }
}
