using System.Net.Http;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IdpServerless.Tests.Identity;

/// <summary>
/// An OIDC provider's two public documents on loopback, in the shapes OpenID Connect Discovery 1.0 and RFC 7517 document:
/// <c>{path}/.well-known/openid-configuration</c> and the JWKS it names, with a signing key that can be rolled (the JWKS
/// then lists only the new <c>kid</c>). <see cref="PublicBase"/> is the address the documents name: its own loopback
/// address for a generic issuer, or <c>https://login.microsoftonline.com</c> for an Entra ID tenant, reached through
/// <see cref="Redirect"/> as a hosts-file entry would.
/// </summary>
public sealed class FakeOidcProvider : IAsyncDisposable
{
    public const string EntraPublicBase = "https://login.microsoftonline.com";

    private FakeServer _server = null!;
    private RsaSecurityKey _key = NewKey();
    private int _jwksFetches;

    private FakeOidcProvider(string path, string? publicBase)
    {
        Path = path;
        _publicBase = publicBase;
    }

    private readonly string? _publicBase;

    /// <summary>The issuer's path under its base: empty for a generic issuer, <c>/{tenant}/v2.0</c> for Entra ID.</summary>
    public string Path { get; }

    public string PublicBase => _publicBase ?? _server.Url;

    /// <summary>The <c>iss</c> of its tokens and the authority to configure.</summary>
    public string Issuer => PublicBase + Path;

    public Uri LoopbackAddress => _server.BaseAddress;

    /// <summary>How many times the JWKS was fetched.</summary>
    public int JwksFetches => Volatile.Read(ref _jwksFetches);

    public string KeyId => _key.KeyId;

    /// <summary>A generic OIDC issuer at the root of its loopback address.</summary>
    public static Task<FakeOidcProvider> StartAsync() => StartAsync(string.Empty, null);

    /// <summary>An Entra ID tenant's v2.0 endpoints (<c>/{tenant}/v2.0/.well-known/openid-configuration</c>, <c>/{tenant}/discovery/v2.0/keys</c>).</summary>
    public static Task<FakeOidcProvider> StartEntraAsync(string tenantId) => StartAsync($"/{tenantId}/v2.0", EntraPublicBase, $"/{tenantId}/discovery/v2.0/keys");

    private static async Task<FakeOidcProvider> StartAsync(string path, string? publicBase, string? jwksPath = null)
    {
        var provider = new FakeOidcProvider(path, publicBase);
        jwksPath ??= path + "/discovery/keys";
        provider._server = await FakeServer.StartAsync(app =>
        {
            app.MapGet(path + "/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = provider.Issuer,
                ["jwks_uri"] = provider.PublicBase + jwksPath,
                ["authorization_endpoint"] = provider.Issuer + "/authorize",
                ["token_endpoint"] = provider.Issuer + "/token",
                ["response_types_supported"] = new[] { "code", "id_token" },
                ["subject_types_supported"] = new[] { "public" },
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            }));
            app.MapGet(jwksPath, () =>
            {
                Interlocked.Increment(ref provider._jwksFetches);
                var key = provider._key;
                var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.Rsa.ExportParameters(false)) { KeyId = key.KeyId });
                var entry = new Dictionary<string, string> { ["kty"] = "RSA", ["use"] = "sig", ["kid"] = jwk.Kid, ["n"] = jwk.N, ["e"] = jwk.E, ["alg"] = "RS256" };
                if (publicBase == EntraPublicBase)
                {
                    // Entra ID's tenant JWKS names the issuer each key signs for; Identity.Web checks it.
                    entry["issuer"] = provider.Issuer;
                }

                return Results.Json(new { keys = new[] { entry } });
            });
        });
        return provider;
    }

    /// <summary>Signs with a new key (new <c>kid</c>) from now on; the JWKS lists only that key.</summary>
    public void RollKey() => _key = NewKey();

    /// <summary>The audience of <see cref="Token(Claim[])"/>.</summary>
    public string Audience { get; set; } = "api://idpserverless";

    public string Token(params Claim[] claims) => TokenFor(Audience, claims);

    public string TokenFor(string audience, params Claim[] claims) => Token(DateTime.UtcNow, DateTime.UtcNow.AddHours(1), audience, Issuer, claims);

    public string Token(DateTime notBefore, DateTime expires, string audience, string issuer, params Claim[] claims) =>
        Sign(_key, notBefore, expires, audience, issuer, claims);

    /// <summary>A token whose payload also holds <paramref name="payload"/> as JSON values (arrays stay arrays, as Entra ID sends <c>roles</c> and <c>groups</c>).</summary>
    public string TokenWith(string audience, IDictionary<string, object> payload) =>
        Sign(_key, DateTime.UtcNow, DateTime.UtcNow.AddHours(1), audience, Issuer, [], payload);

    /// <summary>A token naming this issuer's current <c>kid</c> but signed with another key.</summary>
    public string TokenSignedBy(RSA rsa, params Claim[] claims) =>
        Sign(new RsaSecurityKey(rsa) { KeyId = _key.KeyId }, DateTime.UtcNow, DateTime.UtcNow.AddHours(1), Audience, Issuer, claims);

    /// <summary>A message handler that sends requests for <see cref="PublicBase"/> to this fake's loopback address.</summary>
    public HttpMessageHandler Redirect() => new RedirectHandler(new Uri(PublicBase), LoopbackAddress);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static RsaSecurityKey NewKey() => new(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N") };

    private static string Sign(RsaSecurityKey key, DateTime notBefore, DateTime expires, string audience, string issuer, Claim[] claims, IDictionary<string, object>? payload = null) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims.Any(c => c.Type == "sub") ? claims : claims.Append(new Claim("sub", Guid.NewGuid().ToString()))),
            NotBefore = notBefore,
            IssuedAt = notBefore,
            Expires = expires,
            Claims = payload,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });

    private sealed class RedirectHandler(Uri from, Uri to) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri is { } uri && string.Equals(uri.Host, from.Host, StringComparison.OrdinalIgnoreCase))
            {
                request.RequestUri = new UriBuilder(uri) { Scheme = to.Scheme, Host = to.Host, Port = to.Port }.Uri;
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
