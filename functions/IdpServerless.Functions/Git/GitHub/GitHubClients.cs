using System.Collections.Concurrent;
using IdpServerless.Functions.Secrets;
using Octokit;
using Octokit.Internal;

namespace IdpServerless.Functions.Git.GitHub;

/// <summary>
/// Octokit clients for the configured GitHub (api.github.com or an Enterprise <c>/api/v3</c>): one on the token
/// (<c>IDP_GITHUB_TOKEN</c>), or with a GitHub App one per installation on its installation token. They share one
/// HTTP pipeline from <see cref="IHttpMessageHandlerFactory"/> (<see cref="HttpClientName"/>: header values redacted
/// from HTTP logs, <see cref="GitHubRequestHandler"/>).
/// </summary>
public sealed class GitHubClients
{
    public const string HttpClientName = "github";
    public const string Product = "IdpServerless-GitProvider";
    public const string ProductVersion = "1.0";

    private readonly GitOptions _options;
    private readonly IServiceProvider _services;
    private readonly Uri _baseAddress;
    private readonly IHttpClient _http;
    private readonly ConcurrentDictionary<long, IGitHubClient> _installations = new();
    private readonly IGitHubClient? _tokenClient;

    public GitHubClients(GitOptions options, IHttpMessageHandlerFactory handlers, IServiceProvider services, TimeProvider time, ILogger<GitHubClients> logger)
    {
        _options = options;
        _services = services;
        _baseAddress = new Uri(options.GitHubApi.TrimEnd('/') + "/");
        var adapter = new HttpClientAdapter(() => handlers.CreateHandler(HttpClientName));
        adapter.SetRequestTimeout(options.GitHubTimeout);
        _http = adapter;
        if (options.UsesGitHubApp)
        {
            App = new GitHubAppTokens(options, () => Resolver, time, Create(new AppJwtStore(this)), logger);
        }
        else
        {
            _tokenClient = Create(new TokenStore(options, () => Resolver));
        }
    }

    /// <summary>The App's tokens, or null when the portal signs in with a token.</summary>
    internal GitHubAppTokens? App { get; }

    /// <summary>The client that acts on <paramref name="owner"/>'s repositories (with an App: the installation on that owner).</summary>
    public async ValueTask<IGitHubClient> ForOwnerAsync(string owner, CancellationToken cancellationToken) =>
        App is null ? _tokenClient! : ForInstallation(await App.InstallationIdAsync(owner, null, cancellationToken).ConfigureAwait(false));

    /// <summary>The client that acts on <paramref name="repo"/> (with an App: the installation GitHub names for it).</summary>
    public async ValueTask<IGitHubClient> ForRepositoryAsync(RepoRef repo, CancellationToken cancellationToken) =>
        App is null ? _tokenClient! : ForInstallation(await App.InstallationIdAsync(repo.Owner, repo.Name, cancellationToken).ConfigureAwait(false));

    /// <summary>After GitHub refused an installation token (401): the next call for <paramref name="owner"/> gets a new token and looks the installation up again.</summary>
    internal void ForgetInstallation(string owner, IGitHubClient client)
    {
        foreach (var (id, known) in _installations)
        {
            if (ReferenceEquals(known, client))
            {
                App?.Forget(owner, id);
            }
        }
    }

    /// <summary>Every client that together sees every repository the credentials reach (with an App: one per installation).</summary>
    public async Task<IReadOnlyList<IGitHubClient>> AllAsync(CancellationToken cancellationToken) =>
        App is null
            ? [_tokenClient!]
            : (await App.InstallationIdsAsync(cancellationToken).ConfigureAwait(false)).Select(ForInstallation).ToList();

    internal ISecretResolver Resolver => _services.GetService<ISecretResolver>()
        ?? throw new InvalidOperationException("GitHub credentials given as a secret reference need the secrets feature (AddSecrets).");

    private IGitHubClient ForInstallation(long installationId) =>
        _installations.GetOrAdd(installationId, id => Create(new InstallationStore(App!, id)));

    private GitHubClient Create(ICredentialStore credentials) =>
        new(new Connection(new ProductHeaderValue(Product, ProductVersion), _baseAddress, credentials, _http, new SimpleJsonSerializer()));

    /// <summary>The token: the setting's value, or the secret its reference names (resolved when used, so a rotated secret is picked up).</summary>
    private sealed class TokenStore(GitOptions options, Func<ISecretResolver> resolver) : ICredentialStore
    {
        public async Task<Credentials> GetCredentials()
        {
            var setting = options.GitHubToken!;
            var token = SecretReference.LooksLikeReference(setting)
                ? (await resolver().ResolveAsync(setting, GitHubCalls.Cancellation).ConfigureAwait(false)).Reveal()
                : setting;
            return new Credentials(token, AuthenticationType.Bearer);
        }
    }

    private sealed class AppJwtStore(GitHubClients clients) : ICredentialStore
    {
        public async Task<Credentials> GetCredentials() =>
            new(await clients.App!.CreateJwtAsync(GitHubCalls.Cancellation).ConfigureAwait(false), AuthenticationType.Bearer);
    }

    private sealed class InstallationStore(GitHubAppTokens app, long installationId) : ICredentialStore
    {
        public async Task<Credentials> GetCredentials() =>
            new(await app.InstallationTokenAsync(installationId, GitHubCalls.Cancellation).ConfigureAwait(false), AuthenticationType.Bearer);
    }
}

/// <summary>
/// What Octokit's HTTP layer does not do for us: cancels a request with the provider call's token (Octokit's API
/// methods take none), pins the REST version GitHub documents (<c>X-GitHub-Api-Version</c>) and its media types, and
/// sends nothing to a host other than the configured API's (Octokit follows absolute pagination links, which carry the
/// token).
/// </summary>
public sealed class GitHubRequestHandler(GitOptions options) : DelegatingHandler
{
    public const string ApiVersion = "2022-11-28";
    public const string JsonMediaType = "application/vnd.github+json";
    private readonly Uri _api = new(options.GitHubApi);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri && !string.Equals(uri.Authority, _api.Authority, StringComparison.OrdinalIgnoreCase))
        {
            throw new GitHubApiException(502, $"GitHub sent a link to another host ({uri.Host}); not following it with the portal's credentials.");
        }

        request.Headers.TryAddWithoutValidation("X-GitHub-Api-Version", ApiVersion);
        if (request.Headers.Accept.Count == 1 && request.Headers.Accept.First().MediaType == AcceptHeaders.StableVersionJson)
        {
            // Octokit's default names REST v3; GitHub documents application/vnd.github+json (preview media types stay).
            request.Headers.Accept.Clear();
            request.Headers.Accept.ParseAdd(JsonMediaType);
        }

        if (request.Content?.Headers.ContentType is { MediaType: "application/x-www-form-urlencoded" } form)
        {
            // Octokit labels its JSON bodies as a form (GitHub reads them as JSON anyway); say what they are.
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = form.CharSet ?? "utf-8" };
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, GitHubCalls.Cancellation);
        return await base.SendAsync(request, linked.Token).ConfigureAwait(false);
    }
}
