using System.Diagnostics;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Git.GitHub;
using IdpServerless.Functions.Secrets;
using IdpServerless.Functions.Templates.Tasks;
using IdpServerless.Tests.Git.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Git;

/// <summary>
/// How GitHub's refusals, limits and silences reach the portal: as <see cref="GitHubApiException"/> messages that name
/// the call and what to do, retried only when a retry may pass, and permanent for the scaffolder when it cannot.
/// </summary>
public sealed class GitHubFailureTests : IAsyncLifetime
{
    private const string Owner = "idp-org";
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
    private readonly List<ServiceProvider> _services = [];
    private FakeGitHub _github = null!;

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync() => _github = await FakeGitHub.StartAsync(orgs: Owner);

    public async Task DisposeAsync()
    {
        foreach (var services in _services)
        {
            await services.DisposeAsync();
        }

        await _github.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task A_429_is_retried_after_its_Retry_After()
    {
        var git = Provider();
        var repo = await CreatedAsync(git);
        _github.InjectTooManyRequests(retryAfterSeconds: 1);
        var before = _github.Requests.Count;

        Assert.NotNull(await git.GetRepositoryAsync(repo, Ct));

        var calls = _github.Requests.Skip(before).ToList();
        Assert.Equal(2, calls.Count);
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {(calls[1].At - calls[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_429_asking_for_longer_than_the_portal_may_wait_surfaces_at_once_with_GitHubs_wait()
    {
        var git = Provider();
        var repo = await CreatedAsync(git);
        _github.InjectTooManyRequests(retryAfterSeconds: 120);
        var before = _github.Requests.Count;
        var watch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<GitHubApiException>(() => git.GetRepositoryAsync(repo, Ct));

        Assert.Equal(429, e.Status);
        Assert.Equal(TimeSpan.FromSeconds(120), e.RetryAfter);
        Assert.Contains("120 s", e.Message, StringComparison.Ordinal);
        Assert.Contains($"reading repository {repo}", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _github.Requests.Count - before);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.False(StepRunner.IsPermanent(e));
    }

    [Fact]
    public async Task The_primary_rate_limit_reports_when_it_resets_and_is_not_retried_past_the_wait_limit()
    {
        var git = Provider();
        var repo = await CreatedAsync(git);
        _github.InjectPrimaryRateLimit(resetIn: TimeSpan.FromMinutes(30));
        var before = _github.Requests.Count;

        var e = await Assert.ThrowsAsync<GitHubApiException>(() => git.ReadFileAsync(repo, "README.md", null, Ct));

        Assert.Equal(403, e.Status);
        Assert.InRange(e.RetryAfter!.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(31));
        Assert.Contains("rate limit", e.Message, StringComparison.Ordinal);
        Assert.Contains("resets at", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _github.Requests.Count - before);
        Assert.False(StepRunner.IsPermanent(e));
    }

    [Fact]
    public async Task Refused_credentials_and_missing_permissions_are_permanent_for_the_scaffolder()
    {
        var git = Provider();
        var repo = await CreatedAsync(git);
        _github.InjectForbidden();

        var forbidden = await Assert.ThrowsAsync<GitHubApiException>(() => git.GetRepositoryAsync(repo, Ct));
        var unauthorized = await Assert.ThrowsAsync<GitHubApiException>(() => Provider(token: "ghp_revoked").GetRepositoryAsync(repo, Ct));

        Assert.Equal(403, forbidden.Status);
        Assert.Contains("permission", forbidden.Message, StringComparison.Ordinal);
        Assert.Equal(401, unauthorized.Status);
        Assert.Contains(GitOptions.TokenSetting, unauthorized.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_revoked", unauthorized.Message, StringComparison.Ordinal);
        Assert.True(StepRunner.IsPermanent(forbidden));
        Assert.True(StepRunner.IsPermanent(unauthorized));
    }

    [Fact]
    public async Task A_GitHub_that_does_not_answer_times_out_with_a_message_naming_the_setting()
    {
        var repo = await CreatedAsync(Provider());
        var git = Provider(settings: new() { ["IDP_GITHUB_TIMEOUT"] = "00:00:01", ["IDP_GITHUB_MAX_RETRIES"] = "1" });
        _github.InjectStall();
        _github.InjectStall();
        var before = _github.Requests.Count;

        var e = await Assert.ThrowsAsync<GitHubApiException>(() => git.GetRepositoryAsync(repo, Ct));

        Assert.Equal(504, e.Status);
        Assert.Contains("did not answer", e.Message, StringComparison.Ordinal);
        Assert.Contains("IDP_GITHUB_TIMEOUT", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, _github.Requests.Count - before); // the first attempt and one retry
        Assert.False(StepRunner.IsPermanent(e));
    }

    [Fact]
    public async Task The_callers_own_cancellation_stays_a_cancellation()
    {
        var git = Provider();
        var repo = await CreatedAsync(git);
        _github.InjectStall();
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => git.GetRepositoryAsync(repo, caller.Token));
    }

    [Fact]
    public async Task Every_call_goes_to_the_Enterprise_base_path_including_pagination_links()
    {
        var git = Provider();
        var repo = await CreatedAsync(git);
        for (var i = 0; i < 120; i++)
        {
            _github.CommitDirectly(repo.Owner, repo.Name, "main", $"f{i}.txt", [(byte)i], $"commit {i}");
        }

        var log = await git.LogAsync(repo, "main", null, 150, Ct);

        Assert.Equal(121, log.Count);
        Assert.Equal("commit 119", log[0].Message);
        Assert.Equal("Initial commit", log[^1].Message);
        Assert.Contains(_github.Requests, r => r.PathAndQuery.StartsWith($"/repos/{repo}/commits", StringComparison.Ordinal) && r.PathAndQuery.Contains("page=2", StringComparison.Ordinal));
        Assert.All(_github.Requests, r => Assert.Equal(FakeGitHub.BasePath, r.Base));
        Assert.Equal(10, (await git.LogAsync(repo, "main", null, 10, Ct)).Count);
    }

    [Fact]
    public async Task A_pagination_link_to_another_host_is_not_followed_with_the_token()
    {
        var git = Provider();
        var repo = await CreatedAsync(git);
        for (var i = 0; i < 110; i++)
        {
            _github.CommitDirectly(repo.Owner, repo.Name, "main", $"f{i}.txt", [(byte)i], $"commit {i}");
        }

        _github.LinkHost = "collector.example.net";

        var e = await Assert.ThrowsAsync<GitHubApiException>(() => git.LogAsync(repo, "main", null, 200, Ct));

        Assert.Equal(502, e.Status);
        Assert.Contains("collector.example.net", e.Message, StringComparison.Ordinal);
        Assert.Contains("not following", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Paths_with_spaces_and_other_reserved_characters_are_escaped()
    {
        var git = Provider();
        var repo = await CreatedAsync(git);
        var path = "docs/a b/#1 ?x%.md";

        await git.CommitAsync(repo, "main", [new(path, "odd"u8.ToArray())], "odd", new("Ada", "ada@example.com"), null, Ct);

        Assert.Equal("odd"u8.ToArray(), await git.ReadFileAsync(repo, path, null, Ct));
        Assert.Contains(path, await git.ListFilesAsync(repo, "docs", null, Ct));
        Assert.Equal("odd", Assert.Single(await git.LogAsync(repo, "main", path, 10, Ct)).Message);
    }

    [Fact]
    public async Task A_token_given_as_a_secret_reference_is_resolved_when_used_and_never_logged()
    {
        var logs = new CapturingLoggerProvider();
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["IDP_GIT_PROVIDER"] = "github",
            ["IDP_GITHUB_API"] = _github.ApiUrl,
            ["IDP_GITHUB_TOKEN"] = "local:github-token",
            ["Secrets:github-token"] = _github.Token,
        }).Build();
        await using var services = new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace))
            .AddSingleton<IConfiguration>(config)
            .AddSingleton<Azure.Core.TokenCredential>(new Azure.Identity.ClientSecretCredential("t", "c", "unused")) // Key Vault's provider needs one; local: does not use it
            .AddSecrets()
            .AddGitProvider(config)
            .BuildServiceProvider();

        var repo = await CreatedAsync(services.GetRequiredService<IGitProvider>());

        Assert.Contains(_github.Requests, r => r.PathAndQuery == $"/repos/{repo}" && r.Headers["Authorization"] == $"Bearer {_github.Token}");
        Assert.DoesNotContain(logs.Lines, l => l.Contains(_github.Token, StringComparison.Ordinal));
        var missing = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddGitProvider(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["IDP_GIT_PROVIDER"] = "github", ["IDP_GITHUB_TOKEN"] = "local:nope" }).Build()));
        Assert.Contains("Secrets__nope", missing.Message, StringComparison.Ordinal);
    }

    private async Task<RepoRef> CreatedAsync(IGitProvider git)
    {
        var repo = new RepoRef(Owner, "svc-" + Guid.NewGuid().ToString("N")[..8]);
        await git.CreateRepositoryAsync(repo, null, Ct);
        return repo;
    }

    private IGitProvider Provider(string? token = null, Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["IDP_GIT_PROVIDER"] = "github",
            ["IDP_GITHUB_API"] = _github.ApiUrl,
            ["IDP_GITHUB_TOKEN"] = token ?? _github.Token,
            ["IDP_GITHUB_MAX_RETRY_DELAY"] = "00:00:05",
        };
        foreach (var (k, v) in settings ?? [])
        {
            all[k] = v;
        }

        var config = new ConfigurationBuilder().AddInMemoryCollection(all).Build();
        var services = new ServiceCollection().AddLogging().AddGitProvider(config).BuildServiceProvider();
        _services.Add(services);
        return services.GetRequiredService<IGitProvider>();
    }
}
