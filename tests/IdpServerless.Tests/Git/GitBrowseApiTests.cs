using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IdpServerless.Functions.Git;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Git;

/// <summary>The read-only browse endpoints over the local provider, hosted in-process with the app's error middleware.</summary>
public sealed class GitBrowseApiTests : IAsyncLifetime
{
    private static readonly GitAuthor Author = new("Ada Lovelace", "ada@example.com");
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "idp-git-api-" + Guid.NewGuid().ToString("N"));
    private GitBrowseHost _host = null!;
    private HttpClient _http = null!;
    private IGitProvider _git = null!;

    public async Task InitializeAsync()
    {
        _host = await GitBrowseHost.StartAsync(new Dictionary<string, string> { ["IDP_DATA_DIR"] = _dataDir });
        _http = _host.Http;
        _git = _host.Git;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task A_repository_can_be_browsed_file_by_file_and_commit_by_commit()
    {
        var repo = new RepoRef("team-b", "orders");
        await _git.CreateRepositoryAsync(repo, "Orders service", CancellationToken.None);
        var v1 = await _git.CommitAsync(repo, "main", [new("docs/index.md", Encoding.UTF8.GetBytes("# Orders")), new("logo.png", [0x89, 0x50, 0, 1])], "docs", Author, null, CancellationToken.None);
        await _git.CommitAsync(repo, "main", [new("docs/index.md", Encoding.UTF8.GetBytes("# Orders v2"))], "docs v2", Author, null, CancellationToken.None);

        var list = await _http.GetFromJsonAsync<JsonElement>("/api/git/repos?owner=team-b");
        var info = await _http.GetFromJsonAsync<JsonElement>("/api/git/repos/team-b/orders");
        var tree = await _http.GetFromJsonAsync<JsonElement>("/api/git/repos/team-b/orders/tree?path=docs");
        using var file = await _http.GetAsync($"/api/git/repos/team-b/orders/files?path=docs/index.md&ref={v1.Sha}");
        using var binary = await _http.GetAsync("/api/git/repos/team-b/orders/files?path=logo.png");
        var commits = await _http.GetFromJsonAsync<JsonElement>("/api/git/repos/team-b/orders/commits?path=docs&max=5");

        Assert.Equal("orders", list.GetProperty("items")[0].GetProperty("name").GetString());
        Assert.Equal("/api/git/repos/team-b/orders", info.GetProperty("webUrl").GetString());
        Assert.Equal(["docs/index.md"], tree.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("# Orders", await file.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; charset=utf-8", file.Content.Headers.ContentType?.ToString());
        Assert.Equal("application/octet-stream", binary.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["docs v2", "docs"], commits.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("message").GetString()));
        Assert.Equal("main", commits.GetProperty("branch").GetString());
    }

    [Theory]
    [InlineData("/api/git/repos/team-b/nope", 404, null)]
    [InlineData("/api/git/repos/team-b/nope/tree", 404, null)]
    [InlineData("/api/git/repos/team-c/api/files?path=missing.md", 404, null)]
    [InlineData("/api/git/repos/team-c/api/files?path=README.md&ref=no-such-branch", 404, null)]
    [InlineData("/api/git/repos/team-c/api/files?path=../../etc/passwd", 422, "path")]
    [InlineData("/api/git/repos/team-c/api/files?path=.git/config", 422, "path")]
    [InlineData("/api/git/repos/team-c/api/files", 422, "path")]
    [InlineData("/api/git/repos/team-c/api/files?path=README.md&ref=-x", 422, "ref")]
    [InlineData("/api/git/repos/team-c/api/commits?max=0", 422, "max")]
    [InlineData("/api/git/repos/team-c/x.git", 422, "name")]
    public async Task Mistakes_are_answered_as_problem_details_naming_the_field(string url, int status, string? field)
    {
        await _git.CreateRepositoryAsync(new RepoRef("team-c", "api"), null, CancellationToken.None);

        using var response = await _http.GetAsync(url);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(status == 404 ? ProblemTypes.NotFound : ProblemTypes.Validation, problem.GetProperty("type").GetString());
        if (field is not null)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
        }
    }

    [Fact]
    public void Every_browse_endpoint_requires_catalog_read_and_has_a_unique_name()
    {
        var endpoints = _host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/git", StringComparison.Ordinal) == true).ToList();

        Assert.Equal(5, endpoints.Count);
        Assert.All(endpoints, e => Assert.Equal(Permissions.CatalogRead, e.Metadata.GetMetadata<RequiredPermission>()?.Permission));
        Assert.Equal(5, endpoints.Select(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName).Distinct().Count(n => n is not null));
    }
}
