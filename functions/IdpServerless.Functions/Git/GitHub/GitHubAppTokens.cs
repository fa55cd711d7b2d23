using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using IdpServerless.Functions.Secrets;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Octokit;

namespace IdpServerless.Functions.Git.GitHub;

/// <summary>
/// Signing in as a GitHub App: a JWT (RS256, <c>iss</c> = the App's id, issued 60 s in the past against clock drift,
/// expiring 10 minutes after that, GitHub's limit) signed with the private key behind <c>IDP_GITHUB_APP_PRIVATE_KEY</c>
/// authenticates the App itself; Octokit exchanges it for an installation token (<c>POST /app/installations/{id}/access_tokens</c>),
/// which is kept until 5 minutes before its <c>expires_at</c> and then replaced. The installation is the configured one,
/// or the one on the repository's owner (organization, then user), looked up once per owner.
/// </summary>
internal sealed partial class GitHubAppTokens(GitOptions options, Func<ISecretResolver> resolver, TimeProvider time, IGitHubClient app, ILogger logger)
{
    /// <summary>A token this close to its expiry is replaced: a call that starts with it must not see it expire.</summary>
    public static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<long, AccessToken> _tokens = new();
    private readonly ConcurrentDictionary<string, long> _owners = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly string _appId = options.GitHubAppId!.Value.ToString(CultureInfo.InvariantCulture);

    public async Task<string> CreateJwtAsync(CancellationToken cancellationToken)
    {
        var reference = options.GitHubAppPrivateKey!;
        var pem = (await resolver().ResolveAsync(reference, cancellationToken).ConfigureAwait(false)).Reveal();
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            // Neither the key nor the parser's message (which may quote it) goes into the error.
            throw new GitHubApiException(401, $"The secret {reference} ({GitOptions.AppKeySetting}) is not a PEM RSA private key: store the text of the .pem file GitHub generated for the App.");
        }

        var now = time.GetUtcNow();
        var key = new RsaSecurityKey(rsa) { CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _appId,
            IssuedAt = (now - TimeSpan.FromSeconds(60)).UtcDateTime,
            Expires = (now + TimeSpan.FromMinutes(9)).UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    public async Task<string> InstallationTokenAsync(long installationId, CancellationToken cancellationToken)
    {
        if (_tokens.TryGetValue(installationId, out var token) && Fresh(token))
        {
            return token.Token;
        }

        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_tokens.TryGetValue(installationId, out token) && Fresh(token))
            {
                return token.Token;
            }

            try
            {
                token = await app.GitHubApps.CreateInstallationToken(installationId).ConfigureAwait(false);
            }
            catch (NotFoundException e)
            {
                throw new GitHubApiException(404, $"The GitHub App {_appId} has no installation {installationId.ToString(CultureInfo.InvariantCulture)}: check {GitOptions.AppInstallationSetting}, or leave it unset to use the installation on each repository's owner.", inner: e);
            }

            _tokens[installationId] = token;
            LogInstallationToken(logger, installationId, token.ExpiresAt);
            return token.Token;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>
    /// The installation that acts on <paramref name="owner"/>'s repositories: the configured one, else GitHub's answer for
    /// the repository (<c>GET /repos/{owner}/{repo}/installation</c>), else for the owner as an organization, then as a
    /// user (a repository about to be created has no installation of its own yet). Remembered per owner: an App is
    /// installed on an account, so every repository of that owner shares it.
    /// </summary>
    public async Task<long> InstallationIdAsync(string owner, string? repository, CancellationToken cancellationToken)
    {
        _ = cancellationToken; // Octokit's calls take the token from GitHubCalls.Cancellation.
        if (options.GitHubAppInstallationId is { } configured)
        {
            return configured;
        }

        if (_owners.TryGetValue(owner, out var known))
        {
            return known;
        }

        var installation =
            (repository is null ? null : await OrNull(() => app.GitHubApps.GetRepositoryInstallationForCurrent(owner, repository)).ConfigureAwait(false))
            ?? await OrNull(() => app.GitHubApps.GetOrganizationInstallationForCurrent(owner)).ConfigureAwait(false)
            ?? await OrNull(() => app.GitHubApps.GetUserInstallationForCurrent(owner)).ConfigureAwait(false)
            ?? throw new GitNotFoundException($"The GitHub App {_appId} is not installed on '{owner}': install it on that organization or account (with access to the repository), or set {GitOptions.AppInstallationSetting}.");
        _owners[owner] = installation.Id;
        LogInstallationFound(logger, owner, installation.Id);
        return installation.Id;
    }

    /// <summary>Forgets what GitHub refused: the installation's token (revoked, or its permissions changed) and which installation serves <paramref name="owner"/>.</summary>
    public void Forget(string owner, long installationId)
    {
        _tokens.TryRemove(installationId, out _);
        _owners.TryRemove(owner, out _);
    }

    public async Task<IReadOnlyList<long>> InstallationIdsAsync(CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        return options.GitHubAppInstallationId is { } configured
            ? [configured]
            : (await app.GitHubApps.GetAllInstallationsForCurrent(new ApiOptions { PageSize = 100 }).ConfigureAwait(false)).Select(i => i.Id).ToList();
    }

    private static async Task<Installation?> OrNull(Func<Task<Installation>> lookup)
    {
        try
        {
            return await lookup().ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    private bool Fresh(AccessToken token) => time.GetUtcNow() < token.ExpiresAt - RefreshBefore;

    [LoggerMessage(EventId = 3105, Level = LogLevel.Debug, Message = "Got a GitHub App installation token for installation {InstallationId}, expiring at {ExpiresAt}")]
    private static partial void LogInstallationToken(ILogger logger, long installationId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Debug, Message = "GitHub App installation {InstallationId} serves {Owner}")]
    private static partial void LogInstallationFound(ILogger logger, string owner, long installationId);
}
