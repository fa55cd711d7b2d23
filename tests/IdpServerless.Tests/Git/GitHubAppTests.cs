using System.Text;
using System.Text.Json;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Git.GitHub;
using IdpServerless.Functions.Secrets;
using IdpServerless.Functions.Templates.Tasks;
using IdpServerless.Tests.Git.Fakes;
using IdpServerless.Tests.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Git;

/// <summary>
/// The GitHub provider signed in as a GitHub App, against a fake that verifies the App's RS256 JWT with the App's public
/// key and accepts nothing but the installation tokens it issued. Lifetimes are judged by a clock the test moves.
/// </summary>
public sealed class GitHubAppTests : IAsyncLifetime
{
    private const long AppId = 424242;
    private const long Installation = 9001;
    private const string Owner = "idp-org";
    private readonly FakeGitHubApp _app = new(AppId, new Dictionary<string, long> { [Owner] = Installation, ["octo-user"] = 9002 });
    private readonly ManualTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly CapturingLoggerProvider _logs = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
    private readonly List<ServiceProvider> _services = [];
    private FakeGitHub _github = null!;

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync()
    {
        _github = await FakeGitHub.StartAppAsync(_app, orgs: [Owner, "other-org"]);
        _github.Clock = _clock.GetUtcNow;
    }

    public async Task DisposeAsync()
    {
        foreach (var services in _services)
        {
            await services.DisposeAsync();
        }

        await _github.DisposeAsync();
        _app.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task The_App_trades_its_signed_JWT_for_an_installation_token_and_works_with_that()
    {
        var git = Provider();
        var repo = new RepoRef(Owner, "svc-app");

        Assert.True((await git.CreateRepositoryAsync(repo, "made by the App", Ct)).Created);
        var commit = await git.CommitAsync(repo, "main", [new("a.txt", "hello"u8.ToArray())], "a", new("Ada", "ada@example.com"), null, Ct);
        Assert.Equal("hello", Encoding.UTF8.GetString((await git.ReadFileAsync(repo, "a.txt", null, Ct))!));
        Assert.Equal(commit.Sha, await git.GetHeadAsync(repo, "main", Ct));

        var token = Assert.Single(_github.IssuedInstallationTokens);
        var exchange = Assert.Single(_github.Requests, r => r.Method == "POST" && r.PathAndQuery == $"/app/installations/{Installation}/access_tokens");
        var jwt = exchange.Headers["Authorization"]["Bearer ".Length..].Split('.');
        Assert.Equal("RS256", Claims(jwt[0]).GetProperty("alg").GetString());
        Assert.Equal(AppId.ToString(System.Globalization.CultureInfo.InvariantCulture), Claims(jwt[1]).GetProperty("iss").GetString());
        Assert.Contains(_github.Requests, r => r.PathAndQuery == $"/repos/{repo}/installation"); // asked first; the repository did not exist yet
        Assert.Single(_github.Requests, r => r.PathAndQuery == $"/orgs/{Owner}/installation"); // then the owner, once
        Assert.All(_github.Requests.Where(r => !r.PathAndQuery.Contains("installation", StringComparison.Ordinal)), r => Assert.Equal($"Bearer {token}", r.Headers["Authorization"]));
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(token, StringComparison.Ordinal) || l.Contains(jwt[2], StringComparison.Ordinal) || l.Contains("PRIVATE KEY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_existing_repository_finds_its_installation_through_the_repository()
    {
        var repo = new RepoRef(Owner, "svc-existing");
        await Provider().CreateRepositoryAsync(repo, null, Ct);
        var before = _github.Requests.Count;

        Assert.NotNull(await Provider().GetRepositoryAsync(repo, Ct)); // a second portal instance: nothing cached

        var calls = _github.Requests.Skip(before).Select(r => r.PathAndQuery).ToList();
        Assert.Equal([$"/repos/{repo}/installation", $"/app/installations/{Installation}/access_tokens", $"/repos/{repo}"], calls);
    }

    [Fact]
    public async Task The_installation_token_is_kept_until_five_minutes_before_it_expires_and_then_replaced()
    {
        var git = Provider();
        var repo = new RepoRef(Owner, "svc-refresh");
        await git.CreateRepositoryAsync(repo, null, Ct);
        Assert.Single(_github.IssuedInstallationTokens);

        _clock.Advance(TimeSpan.FromMinutes(54));
        Assert.NotNull(await git.GetRepositoryAsync(repo, Ct));
        Assert.Single(_github.IssuedInstallationTokens);

        _clock.Advance(TimeSpan.FromMinutes(2)); // 4 minutes left: too close to use
        Assert.NotNull(await git.GetRepositoryAsync(repo, Ct));
        Assert.Equal(2, _github.IssuedInstallationTokens.Count);
        Assert.Equal($"Bearer {_github.IssuedInstallationTokens[1]}", _github.Requests[^1].Headers["Authorization"]);

        _clock.Advance(TimeSpan.FromMinutes(30));
        Assert.NotNull(await git.GetRepositoryAsync(repo, Ct));
        Assert.Equal(2, _github.IssuedInstallationTokens.Count);
    }

    [Fact]
    public async Task A_revoked_installation_token_is_replaced_and_the_call_still_succeeds()
    {
        var git = Provider();
        var repo = new RepoRef(Owner, "svc-revoked");
        await git.CreateRepositoryAsync(repo, null, Ct);

        _github.RevokeInstallationTokens();

        Assert.NotNull(await git.GetRepositoryAsync(repo, Ct));
        Assert.Equal(2, _github.IssuedInstallationTokens.Count);
    }

    [Fact]
    public async Task A_key_GitHub_does_not_know_is_a_401_naming_the_App_settings_and_is_permanent()
    {
        using var stranger = new FakeGitHubApp(AppId, new Dictionary<string, long>());
        var git = Provider(key: stranger.PrivateKeyPem);

        var e = await Assert.ThrowsAsync<GitHubApiException>(() => git.GetRepositoryAsync(new RepoRef(Owner, "svc"), Ct));

        Assert.Equal(401, e.Status);
        Assert.Contains(GitOptions.AppIdSetting, e.Message, StringComparison.Ordinal);
        Assert.Contains(GitOptions.AppKeySetting, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", e.Message, StringComparison.Ordinal);
        Assert.True(StepRunner.IsPermanent(e));
        Assert.Empty(_github.IssuedInstallationTokens);
    }

    [Fact]
    public async Task A_secret_that_is_not_a_PEM_key_is_refused_without_quoting_it()
    {
        var git = Provider(key: "not-a-key-but-a-secret-value");

        var e = await Assert.ThrowsAsync<GitHubApiException>(() => git.GetRepositoryAsync(new RepoRef(Owner, "svc"), Ct));

        Assert.Equal(401, e.Status);
        Assert.Contains("not a PEM RSA private key", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-key-but-a-secret-value", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_owner_without_the_App_is_not_found_with_a_message_saying_to_install_it()
    {
        var e = await Assert.ThrowsAsync<GitNotFoundException>(() => Provider().GetRepositoryAsync(new RepoRef("other-org", "svc"), Ct));

        Assert.Contains("not installed on 'other-org'", e.Message, StringComparison.Ordinal);
        Assert.Contains(GitOptions.AppInstallationSetting, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configured_installation_the_App_does_not_have_is_a_404_naming_the_setting()
    {
        var git = Provider(installation: 12345);

        var e = await Assert.ThrowsAsync<GitHubApiException>(() => git.GetRepositoryAsync(new RepoRef(Owner, "svc"), Ct));

        Assert.Equal(404, e.Status);
        Assert.Contains(GitOptions.AppInstallationSetting, e.Message, StringComparison.Ordinal);
        Assert.True(StepRunner.IsPermanent(e));
        Assert.DoesNotContain(_github.Requests, r => r.PathAndQuery.EndsWith("/installation", StringComparison.Ordinal)); // configured: no discovery
    }

    [Fact]
    public async Task Listing_with_an_App_shows_the_repositories_of_its_installations()
    {
        var git = Provider();
        await git.CreateRepositoryAsync(new RepoRef(Owner, "svc-b"), null, Ct);
        await git.CreateRepositoryAsync(new RepoRef(Owner, "svc-a"), null, Ct);

        Assert.Equal(["svc-a", "svc-b"], (await git.ListRepositoriesAsync(Owner, 100, Ct)).Select(r => r.Ref.Name));
        Assert.Equal(["svc-a", "svc-b"], (await git.ListRepositoriesAsync(null, 100, Ct)).Select(r => r.Ref.Name));
        Assert.Contains(_github.Requests, r => r.Method == "GET" && r.PathAndQuery.StartsWith("/app/installations", StringComparison.Ordinal));
        Assert.Contains(_github.Requests, r => r.PathAndQuery.StartsWith("/installation/repositories", StringComparison.Ordinal));
    }

    [Fact]
    public void The_App_key_must_be_a_secret_reference_and_a_token_beside_an_App_is_refused()
    {
        var key = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddGitProvider(Config(new()
        {
            [GitOptions.AppKeySetting] = _app.PrivateKeyPem,
        })));
        Assert.Contains("must be a secret reference", key.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", key.Message, StringComparison.Ordinal);

        var both = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddGitProvider(Config(new() { [GitOptions.TokenSetting] = "ghp_x" })));
        Assert.Contains($"Set either {GitOptions.TokenSetting} or the GitHub App", both.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddGitProvider(Config(new() { ["Secrets:github-app-key"] = null })));
        Assert.Contains("Secrets__github-app-key", missing.Message, StringComparison.Ordinal);
    }

    private IGitProvider Provider(string? key = null, long? installation = null)
    {
        var config = Config(new()
        {
            ["Secrets:github-app-key"] = key ?? _app.PrivateKeyPem,
            [GitOptions.AppInstallationSetting] = installation?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var services = new ServiceCollection()
            .AddLogging(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace))
            .AddSingleton<IConfiguration>(config)
            .AddSingleton<TimeProvider>(_clock)
            .AddSingleton<Azure.Core.TokenCredential>(new NoEntraId()) // Key Vault's provider needs one; local: references do not use it
            .AddSecrets()
            .AddGitProvider(config)
            .BuildServiceProvider();
        _services.Add(services);
        return services.GetRequiredService<IGitProvider>();
    }

    private IConfiguration Config(Dictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["IDP_GIT_PROVIDER"] = "github",
            ["IDP_GITHUB_API"] = _github.ApiUrl,
            [GitOptions.AppIdSetting] = AppId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [GitOptions.AppKeySetting] = "local:github-app-key",
            ["Secrets:github-app-key"] = _app.PrivateKeyPem,
            ["IDP_GITHUB_MAX_RETRIES"] = "0",
        };
        foreach (var (k, v) in overrides)
        {
            settings[k] = v;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    private static JsonElement Claims(string segment)
    {
        var base64 = segment.Replace('-', '+').Replace('_', '/');
        return JsonDocument.Parse(Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='))).RootElement;
    }

    private sealed class NoEntraId : Azure.Core.TokenCredential
    {
        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("No Entra ID in this test.");

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("No Entra ID in this test.");
    }
}
