using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace IdpServerless.Functions.Identity.Authentication;

/// <summary>
/// Validates bearer tokens of the configured OIDC issuer (Entra ID or any other) against its discovery document and
/// signing keys, which are cached and refreshed by <see cref="ConfigurationManager{T}"/>. When a token names a key we do
/// not know yet (the issuer rolled its keys), the documents are fetched again at once, at most every 30 s, because the
/// manager's own refresh runs in the background and would fail this token.
/// </summary>
public sealed class OidcTokenValidator
{
    public const string HttpClientName = "oidc";

    private static readonly TimeSpan ForcedRefreshInterval = TimeSpan.FromSeconds(30);

    private readonly ConfigurationManager<OpenIdConnectConfiguration>? _configuration;
    private readonly IReadOnlyList<string> _audiences;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _forcedLock = new(1, 1);
    private readonly string _metadataAddress = string.Empty;
    private readonly HttpDocumentRetriever? _retriever;
    private (OpenIdConnectConfiguration Configuration, DateTimeOffset FetchedAt)? _forced;

    public OidcTokenValidator(IdentityOptions options, IHttpClientFactory httpClients, TimeProvider time)
    {
        _audiences = options.Audiences;
        _time = time;
        if (options.Authority is not { } authority)
        {
            return;
        }

        if (_audiences.Count == 0)
        {
            throw new InvalidOperationException("IDP_OIDC_AUTHORITY is set but IDP_OIDC_AUDIENCE is not: tokens issued for any other application would be accepted.");
        }

        if (authority.Scheme != Uri.UriSchemeHttps && !authority.IsLoopback)
        {
            throw new InvalidOperationException("IDP_OIDC_AUTHORITY must use https (plain http is allowed for a loopback issuer only).");
        }

        _retriever = new HttpDocumentRetriever(httpClients.CreateClient(HttpClientName)) { RequireHttps = authority.Scheme == Uri.UriSchemeHttps };
        _metadataAddress = authority.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration";
        _configuration = new ConfigurationManager<OpenIdConnectConfiguration>(_metadataAddress, new OpenIdConnectConfigurationRetriever(), _retriever)
        {
            AutomaticRefreshInterval = TimeSpan.FromHours(12),
            RefreshInterval = TimeSpan.FromSeconds(30),
        };
    }

    public bool Enabled => _configuration is not null;

    public async Task<TokenValidationResult> ValidateAsync(string token, CancellationToken ct)
    {
        var manager = _configuration ?? throw new InvalidOperationException("No OIDC issuer is configured.");
        var result = await ValidateWithAsync(await manager.GetConfigurationAsync(ct).ConfigureAwait(false), token).ConfigureAwait(false);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            result = await ValidateWithAsync(await FreshConfigurationAsync(manager, ct).ConfigureAwait(false), token).ConfigureAwait(false);
        }

        return result;
    }

    private async Task<OpenIdConnectConfiguration> FreshConfigurationAsync(ConfigurationManager<OpenIdConnectConfiguration> manager, CancellationToken ct)
    {
        await _forcedLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_forced is { } recent && _time.GetUtcNow() - recent.FetchedAt < ForcedRefreshInterval)
            {
                return recent.Configuration;
            }

            var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(_metadataAddress, _retriever, ct).ConfigureAwait(false);
            _forced = (configuration, _time.GetUtcNow());
            manager.RequestRefresh();
            return configuration;
        }
        finally
        {
            _forcedLock.Release();
        }
    }

    private Task<TokenValidationResult> ValidateWithAsync(OpenIdConnectConfiguration configuration, string token) =>
        _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = configuration.Issuer,
            ValidAudiences = _audiences,
            IssuerSigningKeys = configuration.SigningKeys,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromMinutes(2),
        });
}
