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
        await using var issuer = await FakeOidcProvider.StartAsync();
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
        await using var issuer = await FakeOidcProvider.StartAsync();
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
    [InlineData("over-long", "too long")]
    public async Task A_bad_or_unmappable_token_is_answered_401_saying_why(string kind, string why)
    {
        await using var issuer = await FakeOidcProvider.StartAsync();
        await using var host = await StartAsync(issuer);
        var email = new Claim("email", "jane@corp.example");
        var token = kind switch
        {
            "expired" => issuer.Token(DateTime.UtcNow.AddHours(-2), DateTime.UtcNow.AddHours(-1), Audience, issuer.Issuer, email),
            "audience" => issuer.Token(DateTime.UtcNow, DateTime.UtcNow.AddHours(1), "api://someone-else", issuer.Issuer, email),
            "foreign-key" => issuer.TokenSignedBy(RSA.Create(2048), email),
            "issuer" => issuer.Token(DateTime.UtcNow, DateTime.UtcNow.AddHours(1), Audience, "https://evil.example", email),
            "unmapped" => issuer.Token(new Claim("email", "mallory@corp.example")),
            "over-long" => issuer.Token(email, new Claim("padding", new string('x', 16 * 1024))),
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
        await using var issuer = await FakeOidcProvider.StartAsync();
        await using var host = await StartAsync(issuer);
        var me = await GetMeAsync(host, null);
        Assert.Equal(HttpStatusCode.Unauthorized, me.Status);
        Assert.Equal("Bearer", me.Challenge);
    }

    [Fact]
    public async Task When_the_issuer_rolls_its_keys_tokens_signed_with_the_new_key_are_accepted()
    {
        await using var issuer = await FakeOidcProvider.StartAsync();
        await using var host = await StartAsync(issuer);
        Assert.Equal(HttpStatusCode.OK, (await GetMeAsync(host, issuer.Token(new Claim("email", "jane@corp.example")))).Status);

        var fetches = issuer.JwksFetches;

        issuer.RollKey();
        // The first token naming the new kid makes the scheme fetch the JWKS again, and is accepted by that same request.
        Assert.Equal(HttpStatusCode.OK, (await GetMeAsync(host, issuer.Token(new Claim("email", "jane@corp.example")))).Status);
        Assert.Equal(fetches + 1, issuer.JwksFetches);
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

    private Task<IdentityTestHost> StartAsync(FakeOidcProvider issuer) =>
        IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?>
        {
            ["IDP_OIDC_AUTHORITY"] = issuer.Issuer,
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
}
