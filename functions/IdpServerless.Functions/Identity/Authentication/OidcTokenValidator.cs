using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace IdpServerless.Functions.Identity.Authentication;

/// <summary>
/// Validates bearer tokens of the configured OIDC issuer (Entra ID or any other) against its discovery document and
/// signing keys, which are cached and refreshed by <see cref="ConfigurationManager{T}"/> (and at once, at most every
/// 30 s, when a token names a key we do not know yet: the issuer rolled its keys).
/// </summary>
public sealed class OidcTokenValidator
{
    public const string HttpClientName = "oidc";

    private readonly ConfigurationManager<OpenIdConnectConfiguration>? _configuration;
    private readonly IReadOnlyList<string> _audiences;
    private readonly JsonWebTokenHandler _handler = new();

    public OidcTokenValidator(IdentityOptions options, IHttpClientFactory httpClients)
    {
        _audiences = options.Audiences;
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

        var retriever = new HttpDocumentRetriever(httpClients.CreateClient(HttpClientName)) { RequireHttps = authority.Scheme == Uri.UriSchemeHttps };
        _configuration = new ConfigurationManager<OpenIdConnectConfiguration>(
            authority.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration",
            new OpenIdConnectConfigurationRetriever(),
            retriever)
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
            manager.RequestRefresh();
            result = await ValidateWithAsync(await manager.GetConfigurationAsync(ct).ConfigureAwait(false), token).ConfigureAwait(false);
        }

        return result;
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
