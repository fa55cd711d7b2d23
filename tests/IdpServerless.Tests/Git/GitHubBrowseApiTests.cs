using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Functions.Git;
using IdpServerless.Hosting.Problems;
using IdpServerless.Tests.Git.Fakes;

namespace IdpServerless.Tests.Git;

/// <summary>
/// The browse endpoints over the GitHub provider: GitHub's failures answer 502, 503 with Retry-After or 504 as
/// ProblemDetails naming what happened, a caller's mistake its 4xx; never a 500.
/// </summary>
public sealed class GitHubBrowseApiTests : IAsyncLifetime
{
    private FakeGitHub _github = null!;
    private GitBrowseHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHub.StartAsync(orgs: "idp-org");
        _host = await GitBrowseHost.StartAsync(new Dictionary<string, string>
        {
            ["IDP_GIT_PROVIDER"] = "github",
            ["IDP_GITHUB_API"] = _github.ApiUrl,
            ["IDP_GITHUB_TOKEN"] = _github.Token,
            ["IDP_GITHUB_MAX_RETRY_DELAY"] = "00:00:02",
            ["IDP_GITHUB_MAX_RETRIES"] = "0",
            ["IDP_GITHUB_TIMEOUT"] = "00:00:03", // long enough for a busy machine, short enough for the silent-GitHub test
        });
        _http = _host.Http;
        await _host.Git.CreateRepositoryAsync(new RepoRef("idp-org", "api"), null, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _github.DisposeAsync();
    }

    [Fact]
    public async Task A_rate_limited_GitHub_answers_503_with_GitHubs_Retry_After()
    {
        _github.InjectTooManyRequests(retryAfterSeconds: 90);

        using var response = await _http.GetAsync("/api/git/repos/idp-org/api");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(90), response.Headers.RetryAfter?.Delta);
        Assert.Equal(ProblemTypes.Unavailable, problem.GetProperty("type").GetString());
        Assert.Equal(429, problem.GetProperty("upstreamStatus").GetInt32());
        Assert.Contains("reading repository idp-org/api", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_GitHub_permission_error_answers_502_naming_it()
    {
        _github.InjectForbidden();

        using var response = await _http.GetAsync("/api/git/repos/idp-org/api/files?path=README.md");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(ProblemTypes.Upstream, problem.GetProperty("type").GetString());
        Assert.Equal(403, problem.GetProperty("upstreamStatus").GetInt32());
        Assert.Contains("Resource not accessible by integration", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task A_silent_GitHub_answers_504()
    {
        _github.InjectStall();

        using var response = await _http.GetAsync("/api/git/repos/idp-org/api/tree");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("IDP_GITHUB_TIMEOUT", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/git/repos/idp-org/nope", 404)]
    [InlineData("/api/git/repos/idp-org/api/files?path=missing.md", 404)]
    [InlineData("/api/git/repos/idp-org/api/files?path=README.md&ref=no-such-branch", 404)]
    [InlineData("/api/git/repos/idp-org/api/tree?ref=no-such-branch", 404)]
    [InlineData("/api/git/repos/idp-org/api/commits?branch=no-such-branch", 404)]
    [InlineData("/api/git/repos/idp-org/api/files?path=../../etc/passwd", 422)]
    [InlineData("/api/git/repos/idp-org/api/files?path=README.md&ref=-x", 422)]
    [InlineData("/api/git/repos/idp-org/x.git", 422)]
    [InlineData("/api/git/repos?owner=no%20such", 422)]
    public async Task A_callers_mistake_is_never_a_500(string url, int status)
    {
        using var response = await _http.GetAsync(url);

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
