using System.Diagnostics;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Git.GitHub;
using IdpServerless.Tests.Git.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Git;

/// <summary>The provider contract against the GitHub provider, talking HTTP to a contract-faithful fake of GitHub REST.</summary>
public sealed class GitHubGitProviderTests : GitProviderContract
{
    private readonly CapturingLoggerProvider _logs = new();
    private FakeGitHub _github = null!;
    private ServiceProvider _services = null!;

    protected override string Owner => "idp-org";

    protected override int CommitsPerWriter => 2;

    protected override async Task<IGitProvider> CreateProviderAsync()
    {
        _github = await FakeGitHub.StartAsync(orgs: Owner);
        _services = BuildServices(new Dictionary<string, string?>
        {
            ["IDP_GIT_PROVIDER"] = "github",
            ["IDP_GITHUB_API"] = _github.ApiUrl,
            ["IDP_GITHUB_TOKEN"] = _github.Token,
            ["IDP_GITHUB_MAX_RETRY_DELAY"] = "00:00:05",
        });
        return _services.GetRequiredService<IGitProvider>();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _services.DisposeAsync();
        await _github.DisposeAsync();
    }

    [Fact]
    public async Task Requests_carry_GitHubs_headers_and_the_token_never_reaches_the_logs()
    {
        var repo = await CreatedRepoAsync();
        await Git.CommitAsync(repo, "main", [new("a.txt", Utf8("a"))], "a", Author, null, Ct);

        Assert.IsType<GitHubGitProvider>(Git);
        Assert.All(_github.Requests, r =>
        {
            Assert.Equal("application/vnd.github+json", r.Headers["Accept"]);
            Assert.Equal(FakeGitHub.ApiVersion, r.Headers["X-GitHub-Api-Version"]);
            Assert.StartsWith("IdpServerless", r.Headers["User-Agent"]);
            Assert.Equal($"Bearer {_github.Token}", r.Headers["Authorization"]);
        });
        Assert.Contains(_github.Requests, r => r.Method == "PATCH" && r.PathAndQuery == $"/repos/{repo}/git/refs/heads/main");
        Assert.Contains(_logs.Lines, l => l.Contains("Authorization", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(_github.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_secondary_rate_limit_is_retried_after_the_Retry_After_delay()
    {
        var repo = await CreatedRepoAsync();
        var before = _github.Requests.Count;
        _github.InjectSecondaryRateLimit(retryAfterSeconds: 1);
        var watch = Stopwatch.StartNew();

        var found = await Git.GetRepositoryAsync(repo, Ct);

        Assert.NotNull(found);
        var calls = _github.Requests.Skip(before).ToList();
        Assert.Equal(2, calls.Count);
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {(calls[1].At - calls[0].At).TotalMilliseconds} ms");
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(900));
    }

    [Fact]
    public async Task Server_errors_are_retried_and_one_that_persists_surfaces()
    {
        var repo = await CreatedRepoAsync();
        _github.InjectServerError(count: 2);
        Assert.Equal("main", (await Git.GetRepositoryAsync(repo, Ct))!.DefaultBranch);

        _github.InjectServerError(count: 10);
        var before = _github.Requests.Count;
        var e = await Assert.ThrowsAsync<GitHubApiException>(() => Git.GetRepositoryAsync(repo, Ct));

        Assert.Equal(502, e.Status);
        Assert.Equal(5, _github.Requests.Count - before); // the first attempt and four retries
    }

    [Fact]
    public async Task A_permission_error_is_not_retried()
    {
        var repo = await CreatedRepoAsync();
        _github.InjectForbidden();
        var before = _github.Requests.Count;

        var e = await Assert.ThrowsAsync<GitHubApiException>(() => Git.GetRepositoryAsync(repo, Ct));

        Assert.Equal(403, e.Status);
        Assert.Contains("not accessible", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _github.Requests.Count - before);
    }

    [Fact]
    public async Task A_bad_token_is_reported_as_GitHubs_401()
    {
        await using var services = BuildServices(new Dictionary<string, string?>
        {
            ["IDP_GIT_PROVIDER"] = "github",
            ["IDP_GITHUB_API"] = _github.ApiUrl,
            ["IDP_GITHUB_TOKEN"] = "ghp_wrong",
        });

        var e = await Assert.ThrowsAsync<GitHubApiException>(() => services.GetRequiredService<IGitProvider>().GetRepositoryAsync(NewRepo(), Ct));

        Assert.Equal(401, e.Status);
        Assert.Contains("Bad credentials", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_branch_moved_between_reading_and_the_ref_update_is_a_conflict_when_a_head_was_expected()
    {
        var repo = await CreatedRepoAsync();
        var head = await Git.GetHeadAsync(repo, "main", Ct);
        string? theirs = null;
        _github.BeforeRefUpdate = (gh, owner, name, branch) =>
        {
            gh.BeforeRefUpdate = null;
            theirs = gh.CommitDirectly(owner, name, branch, "theirs.txt", Utf8("theirs"), "someone else");
        };

        await Assert.ThrowsAsync<GitConflictException>(() => Git.CommitAsync(repo, "main", [new("mine.txt", Utf8("mine"))], "mine", Author, head, Ct));

        Assert.Contains(_github.Requests, r => r.Method == "PATCH");
        Assert.Equal(theirs, await Git.GetHeadAsync(repo, "main", Ct));
        Assert.Null(await Git.ReadFileAsync(repo, "mine.txt", null, Ct));
    }

    [Fact]
    public async Task A_branch_moved_between_reading_and_the_ref_update_gets_the_changes_reapplied_when_no_head_was_expected()
    {
        var repo = await CreatedRepoAsync();
        _github.BeforeRefUpdate = (gh, owner, name, branch) =>
        {
            gh.BeforeRefUpdate = null;
            gh.CommitDirectly(owner, name, branch, "theirs.txt", Utf8("theirs"), "someone else");
        };

        var mine = await Git.CommitAsync(repo, "main", [new("mine.txt", Utf8("mine"))], "mine", Author, null, Ct);

        Assert.Equal(mine.Sha, await Git.GetHeadAsync(repo, "main", Ct));
        Assert.Equal(["README.md", "mine.txt", "theirs.txt"], (await Git.ListFilesAsync(repo, null, null, Ct)).Order(StringComparer.Ordinal));
        Assert.Equal(["mine", "someone else"], (await Git.LogAsync(repo, "main", null, 2, Ct)).Select(c => c.Message));
    }

    [Fact]
    public async Task Files_over_a_megabyte_are_read_through_the_blob_api()
    {
        var repo = await CreatedRepoAsync();
        var big = new byte[1_500_000];
        new Random(7).NextBytes(big);
        await Git.CommitAsync(repo, "main", [new("assets/big.bin", big)], "big", Author, null, Ct);

        Assert.Equal(big, await Git.ReadFileAsync(repo, "assets/big.bin", null, Ct));
        Assert.Contains(_github.Requests, r => r.Method == "GET" && r.PathAndQuery.Contains("/git/blobs/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_repository_of_the_tokens_user_is_created_under_the_user()
    {
        var repo = new RepoRef(_github.UserLogin, "personal-" + Guid.NewGuid().ToString("N")[..8]);

        var created = await Git.CreateRepositoryAsync(repo, null, Ct);

        Assert.True(created.Created);
        Assert.Contains(_github.Requests, r => r.Method == "POST" && r.PathAndQuery == "/user/repos");
        Assert.Contains(await Git.ListRepositoriesAsync(_github.UserLogin, 100, Ct), r => r.Ref == repo);
        await Assert.ThrowsAsync<GitNotFoundException>(() => Git.CreateRepositoryAsync(new RepoRef("someone-else", "x"), null, Ct));
    }

    [Fact]
    public async Task Listing_repositories_follows_GitHubs_pagination()
    {
        var repos = new List<RepoRef>();
        for (var i = 0; i < 105; i++)
        {
            repos.Add(await CreatedRepoAsync());
        }

        var listed = await Git.ListRepositoriesAsync(Owner, 1000, Ct);

        Assert.Subset(listed.Select(r => r.Ref).ToHashSet(), repos.ToHashSet());
        Assert.Contains(_github.Requests, r => r.PathAndQuery.Contains("page=2", StringComparison.Ordinal));
        Assert.Equal(10, (await Git.ListRepositoriesAsync(Owner, 10, Ct)).Count);
    }

    [Fact]
    public async Task Refused_paths_never_reach_GitHub()
    {
        var repo = await CreatedRepoAsync();
        var before = _github.Requests.Count;

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Git.ReadFileAsync(repo, "../../orgs/other/secret", null, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Git.CommitAsync(repo, "main", [new(".git/config", Utf8("x"))], "x", Author, null, Ct));

        Assert.Equal(before, _github.Requests.Count);
    }

    [Fact]
    public void Choosing_GitHub_without_a_token_stops_the_app_naming_the_setting()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["IDP_GIT_PROVIDER"] = "github" }).Build();

        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddGitProvider(config));

        Assert.Contains("IDP_GITHUB_TOKEN", e.Message, StringComparison.Ordinal);
    }

    private ServiceProvider BuildServices(Dictionary<string, string?> settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddLogging(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace))
            .AddGitProvider(config)
            .BuildServiceProvider();
    }
}
