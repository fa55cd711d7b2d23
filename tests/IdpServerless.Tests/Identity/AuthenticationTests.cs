using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IdpServerless.Tests.Identity;

/// <summary>
/// OIDC bearer tokens against an issuer's discovery document and JWKS (an HTTP fake of an OIDC provider, in the shapes
/// OpenID Connect Discovery 1.0 and RFC 7517 document), mapping to catalog users, and Static Web Apps' principal.
/// </summary>
[Collection("azurite")]
public class AuthenticationTests(AzuriteFixture azurite)
{
    private const string Audience = "api://idpserverless";

    private static InMemoryCatalogDirectory Directory() => new InMemoryCatalogDirectory()
        .AddGroup("platform").AddGroup("sre", parent: "platform")
        .AddUser("jane", "jane@corp.example", ["sre"])
        .AddUser("omar", "omar@contoso.example", annotations: new() { ["microsoft.com/email"] = "omar@corp.example" });

    [Fact]
    public async Task A_valid_oidc_token_maps_to_the_catalog_user_by_email_with_groups_from_the_catalog()
    {
        await using var issuer = await OidcIssuer.StartAsync();
        await using var host = await StartAsync(issuer);
        var token = issuer.Token(new Claim("email", "Jane@Corp.example"), new Claim("groups", "group:default/admins"));

        var me = await GetMeAsync(host, token);
        Assert.Equal(HttpStatusCode.OK, me.Status);
        Assert.Equal("user:default/jane", me.Body.GetProperty("userRef").GetString());
        Assert.Equal(["group:default/sre", "group:default/platform"], me.Body.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.DoesNotContain("platform-admin", me.Body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("api", me.Body.GetProperty("channel").GetString());
    }

    [Fact]
    public async Task A_upn_matches_the_microsoft_email_annotation_when_no_profile_email_does()
    {
        await using var issuer = await OidcIssuer.StartAsync();
        await using var host = await StartAsync(issuer);
        var me = await GetMeAsync(host, issuer.Token(new Claim("upn", "omar@corp.example")));
        Assert.Equal(HttpStatusCode.OK, me.Status);
        Assert.Equal("user:default/omar", me.Body.GetProperty("userRef").GetString());
    }

    [Theory]
    [InlineData("expired", "expired")]
    [InlineData("audience", "another audience")]
    [InlineData("foreign-key", "signature")]
    [InlineData("issuer", "another issuer")]
    [InlineData("unmapped", "No catalog User")]
    [InlineData("garbage", "not a JWT")]
    public async Task A_bad_or_unmappable_token_is_answered_401_saying_why(string kind, string why)
    {
        await using var issuer = await OidcIssuer.StartAsync();
        await using var host = await StartAsync(issuer);
        var email = new Claim("email", "jane@corp.example");
        var token = kind switch
        {
            "expired" => issuer.Token(DateTime.UtcNow.AddHours(-2), DateTime.UtcNow.AddHours(-1), Audience, issuer.Url, email),
            "audience" => issuer.Token(DateTime.UtcNow, DateTime.UtcNow.AddHours(1), "api://someone-else", issuer.Url, email),
            "foreign-key" => issuer.TokenSignedBy(RSA.Create(2048), email),
            "issuer" => issuer.Token(DateTime.UtcNow, DateTime.UtcNow.AddHours(1), Audience, "https://evil.example", email),
            "unmapped" => issuer.Token(new Claim("email", "mallory@corp.example")),
            _ => "not-a-token",
        };

        var me = await GetMeAsync(host, token);
        Assert.Equal(HttpStatusCode.Unauthorized, me.Status);
        Assert.StartsWith("Bearer error=\"invalid_token\"", me.Challenge, StringComparison.Ordinal);
        Assert.Contains(why, me.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("https://idpserverless.dev/problems/unauthenticated", me.Body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task No_credentials_on_a_protected_function_is_401_with_a_bearer_challenge()
    {
        await using var issuer = await OidcIssuer.StartAsync();
        await using var host = await StartAsync(issuer);
        var me = await GetMeAsync(host, null);
        Assert.Equal(HttpStatusCode.Unauthorized, me.Status);
        Assert.Equal("Bearer", me.Challenge);
    }

    [Fact]
    public async Task When_the_issuer_rolls_its_keys_tokens_signed_with_the_new_key_are_accepted()
    {
        await using var issuer = await OidcIssuer.StartAsync();
        await using var host = await StartAsync(issuer);
        Assert.Equal(HttpStatusCode.OK, (await GetMeAsync(host, issuer.Token(new Claim("email", "jane@corp.example")))).Status);

        issuer.RollKey();
        Assert.Equal(HttpStatusCode.OK, (await GetMeAsync(host, issuer.Token(new Claim("email", "jane@corp.example")))).Status);
    }

    [Fact]
    public async Task The_static_web_apps_principal_is_trusted_only_when_configured()
    {
        var principal = Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            identityProvider = "aad",
            userId = "d2f3",
            userDetails = "jane@corp.example",
            userRoles = new[] { "anonymous", "authenticated" },
        })));

        await using (var trusting = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?> { ["IDP_TRUST_SWA_PRINCIPAL"] = "true" }))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
            request.Headers.Add("x-ms-client-principal", principal);
            using var r = await trusting.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var me = await r.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("user:default/jane", me.GetProperty("userRef").GetString());
            Assert.Equal("browser", me.GetProperty("channel").GetString());
        }

        await using var strict = await IdentityTestHost.StartAsync(azurite, Directory());
        using var ignored = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        ignored.Headers.Add("x-ms-client-principal", principal);
        using var denied = await strict.Client.SendAsync(ignored);
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
    }

    [Fact]
    public async Task An_unprotected_function_stops_the_app_from_starting_and_is_named()
    {
        var e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => IdentityTestHost.StartAsync(azurite, Directory(), map: app =>
            app.MapGet("/api/forgotten", () => "oops").WithName("ForgottenFunction")));
        Assert.Contains("'ForgottenFunction' (GET /api/forgotten) declares neither RequirePermission nor AllowAnonymousFunction", e.Message, StringComparison.Ordinal);
    }

    private Task<IdentityTestHost> StartAsync(OidcIssuer issuer) =>
        IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?>
        {
            ["IDP_OIDC_AUTHORITY"] = issuer.Url,
            ["IDP_OIDC_AUDIENCE"] = Audience,
        });

    private static async Task<(HttpStatusCode Status, JsonElement Body, string Challenge)> GetMeAsync(IdentityTestHost host, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await host.Client.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body, response.Headers.WwwAuthenticate.ToString());
    }

    /// <summary>An OIDC provider's two public documents: discovery and the JWKS, with a key that can be rolled.</summary>
    private sealed class OidcIssuer : IAsyncDisposable
    {
        private FakeServer _server = null!;
        private RsaSecurityKey _key = NewKey();

        public string Url => _server.Url;

        public static async Task<OidcIssuer> StartAsync()
        {
            var issuer = new OidcIssuer();
            issuer._server = await FakeServer.StartAsync(app =>
            {
                app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
                {
                    ["issuer"] = issuer.Url,
                    ["jwks_uri"] = issuer.Url + "/discovery/keys",
                    ["authorization_endpoint"] = issuer.Url + "/authorize",
                    ["token_endpoint"] = issuer.Url + "/token",
                    ["response_types_supported"] = new[] { "code" },
                    ["subject_types_supported"] = new[] { "public" },
                    ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
                }));
                app.MapGet("/discovery/keys", () =>
                {
                    var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(issuer._key.Rsa.ExportParameters(false)) { KeyId = issuer._key.KeyId });
                    return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", kid = jwk.Kid, n = jwk.N, e = jwk.E, alg = "RS256" } } });
                });
            });
            return issuer;
        }

        public void RollKey() => _key = NewKey();

        public string Token(params Claim[] claims) => Token(DateTime.UtcNow, DateTime.UtcNow.AddHours(1), Audience, Url, claims);

        public string Token(DateTime notBefore, DateTime expires, string audience, string issuer, params Claim[] claims) =>
            Sign(_key, notBefore, expires, audience, issuer, claims);

        public string TokenSignedBy(RSA rsa, params Claim[] claims) =>
            Sign(new RsaSecurityKey(rsa) { KeyId = _key.KeyId }, DateTime.UtcNow, DateTime.UtcNow.AddHours(1), Audience, Url, claims);

        public ValueTask DisposeAsync() => _server.DisposeAsync();

        private static RsaSecurityKey NewKey() => new(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N") };

        private static string Sign(RsaSecurityKey key, DateTime notBefore, DateTime expires, string audience, string issuer, Claim[] claims) =>
            new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
            {
                Issuer = issuer,
                Audience = audience,
                Subject = new ClaimsIdentity(claims.Append(new Claim("sub", Guid.NewGuid().ToString()))),
                NotBefore = notBefore,
                IssuedAt = notBefore,
                Expires = expires,
                SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
            });
    }
}
