using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IdpServerless.Tests.Git.Fakes;

/// <summary>
/// A GitHub App the fake knows: its id, the public half of its key (the test keeps the private PEM for the portal),
/// and the accounts it is installed on (owner → installation id).
/// </summary>
public sealed class FakeGitHubApp : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);

    public FakeGitHubApp(long appId, IReadOnlyDictionary<string, long> installations)
    {
        AppId = appId;
        Installations = new Dictionary<string, long>(installations, StringComparer.OrdinalIgnoreCase);
    }

    public long AppId { get; }

    public IReadOnlyDictionary<string, long> Installations { get; }

    /// <summary>The private key as GitHub hands it out: a PKCS#1 PEM ("BEGIN RSA PRIVATE KEY").</summary>
    public string PrivateKeyPem => _key.ExportRSAPrivateKeyPem();

    internal SecurityKey PublicKey => new RsaSecurityKey(_key.ExportParameters(includePrivateParameters: false));

    public void Dispose() => _key.Dispose();
}

// GitHub Apps (REST 2022-11-28): the App authenticates with a JWT (RS256, iss = App id, exp at most 10 minutes after
// iat) on /app/..., GET /repos/{o}/{r}/installation, /orgs/{org}/installation and /users/{u}/installation; it trades
// it for an installation token (POST /app/installations/{id}/access_tokens, 201, an hour long) that the rest of the
// API takes, for the installation's own account only. GET /installation/repositories lists what the token reaches.
public sealed partial class FakeGitHub
{
    private static readonly TimeSpan InstallationTokenLifetime = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, InstallationToken> _installationTokens = new(StringComparer.Ordinal);

    /// <summary>Installation tokens handed out, in order (the test counts exchanges with it).</summary>
    public IReadOnlyList<string> IssuedInstallationTokens => _issued.ToArray();

    private readonly ConcurrentQueue<string> _issued = new();

    /// <summary>Revokes every installation token (as <c>DELETE /installation/token</c>, or an uninstall, would).</summary>
    public void RevokeInstallationTokens() => _installationTokens.Clear();

    private static bool IsAppEndpoint(PathString path)
    {
        var parts = path.Value?.Trim('/').Split('/') ?? [];
        return parts is ["app", ..] or ["repos", _, _, "installation"] or ["orgs", _, "installation"] or ["users", _, "installation"];
    }

    /// <summary>Null when the request's credentials fit its endpoint; otherwise GitHub's 401 (or 404 for another account's repository).</summary>
    private IResult? AppAuthorizes(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var credential = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : string.Empty;
        if (IsAppEndpoint(context.Request.Path))
        {
            return VerifyJwt(credential);
        }

        if (!_installationTokens.TryGetValue(credential, out var token) || Clock() >= token.ExpiresAt)
        {
            return Error(401, "Bad credentials");
        }

        var parts = context.Request.Path.Value?.Trim('/').Split('/') ?? [];
        if (parts is ["user"])
        {
            return Error(403, "Resource not accessible by integration");
        }

        // An installation token reaches its own account's repositories only; GitHub hides the rest behind a 404.
        var owner = parts is [("repos" or "orgs" or "users"), _, ..] ? parts[1] : null;
        return owner is not null && !string.Equals(owner, token.Owner, StringComparison.OrdinalIgnoreCase) ? NotFound() : null;
    }

    private IResult? VerifyJwt(string jwt)
    {
        var handler = new JsonWebTokenHandler();
        if (!handler.CanReadToken(jwt))
        {
            return Error(401, "A JSON web token could not be decoded");
        }

        var result = handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            IssuerSigningKey = App!.PublicKey,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidateIssuer = true,
            ValidIssuer = App.AppId.ToString(CultureInfo.InvariantCulture),
            ValidateAudience = false,
            ValidateLifetime = false, // judged below by the fake's clock, as GitHub states its rules
        }).GetAwaiter().GetResult();
        if (!result.IsValid)
        {
            return Error(401, result.Exception is SecurityTokenInvalidIssuerException
                ? "'Issuer' claim ('iss') must be an Integer"
                : "A JSON web token could not be decoded");
        }

        var token = (JsonWebToken)result.SecurityToken;
        var now = Clock();
        if (!token.TryGetPayloadValue<long>("iat", out var iat) || DateTimeOffset.FromUnixTimeSeconds(iat) > now + TimeSpan.FromSeconds(60))
        {
            return Error(401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.");
        }

        if (!token.TryGetPayloadValue<long>("exp", out var exp) || DateTimeOffset.FromUnixTimeSeconds(exp) <= now)
        {
            return Error(401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.");
        }

        return exp - iat > 600 ? Error(401, "'Expiration time' claim ('exp') is too far in the future.") : null;
    }

    private void MapApps(WebApplication app)
    {
        app.MapPost("/app/installations/{id:long}/access_tokens", (HttpContext c, long id) =>
        {
            if (Owner(id) is not { } owner)
            {
                return NotFound();
            }

            var token = "ghs_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(18)).ToLowerInvariant();
            var expires = DateTimeOffset.FromUnixTimeSeconds((Clock() + InstallationTokenLifetime).ToUnixTimeSeconds());
            _installationTokens[token] = new InstallationToken(id, owner, expires);
            _issued.Enqueue(token);
            return Ok(new
            {
                token,
                expires_at = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                permissions = new { administration = "write", contents = "write", metadata = "read" },
                repository_selection = "all",
            }, 201);
        });

        app.MapGet("/app/installations", (HttpContext c) =>
            Page(c, App!.Installations.OrderBy(i => i.Value).ToList(), i => InstallationJson(c, i.Key, i.Value)));

        app.MapGet("/repos/{owner}/{repo}/installation", (HttpContext c, string owner, string repo) =>
        {
            lock (_gate)
            {
                return _repos.ContainsKey($"{owner}/{repo}") && App!.Installations.TryGetValue(owner, out var id) ? Ok(InstallationJson(c, owner, id)) : NotFound();
            }
        });

        app.MapGet("/orgs/{org}/installation", (HttpContext c, string org) =>
            Organizations.Contains(org) && App!.Installations.TryGetValue(org, out var id) ? Ok(InstallationJson(c, org, id)) : NotFound());

        app.MapGet("/users/{user}/installation", (HttpContext c, string user) =>
            App!.Installations.TryGetValue(user, out var id) ? Ok(InstallationJson(c, user, id)) : NotFound());

        app.MapGet("/installation/repositories", (HttpContext c) =>
        {
            var token = _installationTokens[c.Request.Headers.Authorization.ToString()["Bearer ".Length..]];
            lock (_gate)
            {
                var repos = _repos.Values.Where(r => string.Equals(r.Owner, token.Owner, StringComparison.OrdinalIgnoreCase))
                    .OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
                return Ok(new { total_count = repos.Count, repository_selection = "all", repositories = PageOf(c, repos, r => RepoJson(c, r)) });
            }
        });
    }

    private string? Owner(long installationId) =>
        App!.Installations.FirstOrDefault(i => i.Value == installationId).Key;

    private object InstallationJson(HttpContext c, string owner, long id) => new
    {
        id,
        account = new { login = owner, id = Math.Abs(owner.GetHashCode(StringComparison.OrdinalIgnoreCase)), type = Organizations.Contains(owner) ? "Organization" : "User" },
        repository_selection = "all",
        access_tokens_url = Url(c, $"app/installations/{id}/access_tokens"),
        repositories_url = Url(c, "installation/repositories"),
        app_id = App!.AppId,
        app_slug = "idp-portal",
        target_id = 1,
        target_type = Organizations.Contains(owner) ? "Organization" : "User",
        permissions = new { administration = "write", contents = "write", metadata = "read" },
        events = Array.Empty<string>(),
        created_at = "2026-01-01T00:00:00Z",
        updated_at = "2026-01-01T00:00:00Z",
    };

    private sealed record InstallationToken(long InstallationId, string Owner, DateTimeOffset ExpiresAt);
}
