using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using IdpServerless.Functions.Identity;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Identity;

/// <summary>
/// The bearer schemes JwtBearer and Microsoft.Identity.Web run for us: several generic OIDC issuers side by side, an Entra
/// ID tenant whose app roles and groups grant portal roles through <c>IDP_ROLE_CLAIM_MAP</c>, and an issuer that cannot be
/// reached (503, never 500). Issuers are loopback fakes serving the documents in their documented shapes.
/// </summary>
[Collection("azurite")]
public class BearerSchemesTests(AzuriteFixture azurite)
{
    private const string TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private const string ClientId = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
    private const string SreGroupObjectId = "c5e1a6b2-3d4f-4e8a-9b1c-0d2e3f4a5b6c";

    private static InMemoryCatalogDirectory Directory() => new InMemoryCatalogDirectory()
        .AddGroup("platform").AddGroup("sre", parent: "platform")
        .AddUser("jane", "jane@corp.example", ["sre"])
        .AddUser("omar", "omar@corp.example");

    [Fact]
    public async Task Two_configured_issuers_are_both_accepted_and_a_third_is_refused_401()
    {
        await using var first = await FakeOidcProvider.StartAsync();
        await using var second = await FakeOidcProvider.StartAsync();
        await using var third = await FakeOidcProvider.StartAsync();
        second.Audience = "api://idp-second";
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?>
        {
            ["IDP_OIDC_AUTHORITY"] = first.Issuer,
            ["IDP_OIDC_AUDIENCE"] = first.Audience,
            ["IDP_OIDC_AUTHORITY_2"] = second.Issuer + "/",
            ["IDP_OIDC_AUDIENCE_2"] = second.Audience,
        });

        var viaFirst = await GetAsync(host, "/api/me", first.Token(new Claim("email", "jane@corp.example")));
        Expect(HttpStatusCode.OK, viaFirst);
        Assert.Equal("user:default/jane", viaFirst.Body.GetProperty("userRef").GetString());

        var viaSecond = await GetAsync(host, "/api/me", second.Token(new Claim("preferred_username", "omar@corp.example")));
        Expect(HttpStatusCode.OK, viaSecond);
        Assert.Equal("user:default/omar", viaSecond.Body.GetProperty("userRef").GetString());

        // Each issuer's audience is its own: the second issuer's token for the first one's audience is refused.
        var crossed = await GetAsync(host, "/api/me", second.TokenFor(first.Audience, new Claim("email", "jane@corp.example")));
        Expect(HttpStatusCode.Unauthorized, crossed);
        Assert.Contains("another audience", Detail(crossed), StringComparison.Ordinal);

        var viaThird = await GetAsync(host, "/api/me", third.Token(new Claim("email", "jane@corp.example")));
        Expect(HttpStatusCode.Unauthorized, viaThird);
        Assert.Contains("another issuer", Detail(viaThird), StringComparison.Ordinal);
        Assert.Equal(0, third.JwksFetches);
    }

    [Fact]
    public async Task An_entra_app_role_mapped_to_platform_admin_opens_an_admin_function_and_its_absence_is_403()
    {
        await using var entra = await FakeOidcProvider.StartEntraAsync(TenantId);
        await using var host = await StartEntraAsync(entra);

        var admin = await GetAsync(host, "/api/rbac/bindings", EntraToken(entra, "omar@corp.example", roles: ["Portal.Admin"]));
        Expect(HttpStatusCode.OK, admin);

        var me = await GetAsync(host, "/api/me", EntraToken(entra, "omar@corp.example", roles: ["Portal.Admin"]));
        Expect(HttpStatusCode.OK, me);
        Assert.Contains("platform-admin", me.Body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        var plain = await GetAsync(host, "/api/rbac/bindings", EntraToken(entra, "omar@corp.example", scopes: "access_as_user"));
        Expect(HttpStatusCode.Forbidden, plain);
        Assert.Contains("rbac.admin", plain.Raw, StringComparison.Ordinal);

        // App roles the map does not list grant nothing.
        var unlisted = await GetAsync(host, "/api/rbac/bindings", EntraToken(entra, "omar@corp.example", roles: ["Something.Else"]));
        Expect(HttpStatusCode.Forbidden, unlisted);
    }

    [Fact]
    public async Task An_entra_groups_claim_mapped_to_a_catalog_group_adds_that_group()
    {
        await using var entra = await FakeOidcProvider.StartEntraAsync(TenantId);
        await using var host = await StartEntraAsync(entra);

        var me = await GetAsync(host, "/api/me", EntraToken(entra, "omar@corp.example", scopes: "access_as_user", groups: [SreGroupObjectId, Guid.NewGuid().ToString()]));
        Expect(HttpStatusCode.OK, me);
        Assert.Equal("user:default/omar", me.Body.GetProperty("userRef").GetString());
        Assert.Equal(["group:default/sre"], me.Body.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Contains("application-developer", me.Body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task An_entra_groups_overage_signs_in_with_the_catalogs_groups_only()
    {
        await using var entra = await FakeOidcProvider.StartEntraAsync(TenantId);
        await using var host = await StartEntraAsync(entra);

        // Too many groups: Entra leaves "groups" out and points at Microsoft Graph instead, which is not called.
        var token = entra.TokenWith(ClientId, new Dictionary<string, object>
        {
            ["tid"] = TenantId,
            ["ver"] = "2.0",
            ["preferred_username"] = "jane@corp.example",
            ["scp"] = "access_as_user",
            ["_claim_names"] = new Dictionary<string, object> { ["groups"] = "src1" },
            ["_claim_sources"] = new Dictionary<string, object> { ["src1"] = new Dictionary<string, object> { ["endpoint"] = $"https://graph.microsoft.com/v1.0/users/{Guid.NewGuid()}/getMemberObjects" } },
        });
        var me = await GetAsync(host, "/api/me", token);
        Expect(HttpStatusCode.OK, me);
        Assert.Equal(["group:default/sre", "group:default/platform"], me.Body.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
    }

    [Fact]
    public async Task An_entra_v1_token_of_the_tenant_is_accepted_too()
    {
        await using var entra = await FakeOidcProvider.StartEntraAsync(TenantId);
        await using var host = await StartEntraAsync(entra);

        // v1.0 access tokens (an app registration with accessTokenAcceptedVersion null or 1): sts.windows.net, aud api://{client id}, upn.
        var v1 = entra.Token(DateTime.UtcNow, DateTime.UtcNow.AddHours(1), "api://" + ClientId, $"https://sts.windows.net/{TenantId}/",
            new Claim("tid", TenantId), new Claim("ver", "1.0"), new Claim("upn", "omar@corp.example"), new Claim("scp", "access_as_user"));
        var me = await GetAsync(host, "/api/me", v1);
        Expect(HttpStatusCode.OK, me);
        Assert.Equal("user:default/omar", me.Body.GetProperty("userRef").GetString());
    }

    [Fact]
    public async Task An_entra_token_for_another_tenant_or_without_scp_or_roles_is_refused_401_saying_why()
    {
        await using var entra = await FakeOidcProvider.StartEntraAsync(TenantId);
        await using var host = await StartEntraAsync(entra);

        var bare = await GetAsync(host, "/api/me", EntraToken(entra, "omar@corp.example"));
        Expect(HttpStatusCode.Unauthorized, bare);
        Assert.Contains("neither a scp nor a roles claim", Detail(bare), StringComparison.Ordinal);

        var wrongAudience = await GetAsync(host, "/api/me", EntraToken(entra, "omar@corp.example", scopes: "access_as_user", audience: "api://someone-else"));
        Expect(HttpStatusCode.Unauthorized, wrongAudience);
        Assert.Contains("another audience", Detail(wrongAudience), StringComparison.Ordinal);

        var otherTenant = entra.Token(DateTime.UtcNow, DateTime.UtcNow.AddHours(1), ClientId, $"{FakeOidcProvider.EntraPublicBase}/{Guid.NewGuid()}/v2.0",
            new Claim("preferred_username", "omar@corp.example"), new Claim("scp", "access_as_user"));
        var foreign = await GetAsync(host, "/api/me", otherTenant);
        Expect(HttpStatusCode.Unauthorized, foreign);
        Assert.Contains("another issuer", Detail(foreign), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_issuer_that_cannot_be_reached_is_503_with_retry_after_not_500()
    {
        // Nothing listens on this port: the discovery document cannot be fetched.
        var down = $"http://127.0.0.1:{FreePorts.Next()}";
        await using var issuer = await FakeOidcProvider.StartAsync();
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?>
        {
            ["IDP_OIDC_AUTHORITY"] = down,
            ["IDP_OIDC_AUDIENCE"] = issuer.Audience,
        });

        var token = issuer.Token(DateTime.UtcNow, DateTime.UtcNow.AddHours(1), issuer.Audience, down, new Claim("email", "jane@corp.example"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await host.Client.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {raw}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter?.Delta);
        var body = JsonDocument.Parse(raw).RootElement;
        Assert.Equal("https://idpserverless.dev/problems/unavailable", body.GetProperty("type").GetString());
        Assert.Contains("cannot be reached", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(token, raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_challenge_of_an_issuers_own_scheme_is_our_problem_details_401()
    {
        await using var issuer = await FakeOidcProvider.StartAsync();
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?>
        {
            ["IDP_OIDC_AUTHORITY"] = issuer.Issuer,
            ["IDP_OIDC_AUDIENCE"] = issuer.Audience,
        }, map: app => app.MapGet("/api/test/challenge", async (HttpContext http) =>
        {
            // As an authorization policy naming the scheme would: authenticate with it, then challenge it.
            await http.AuthenticateAsync("Idp.Oidc1");
            await http.ChallengeAsync("Idp.Oidc1");
        }).AllowAnonymousFunction("test: challenges a bearer scheme directly"));

        var expired = issuer.Token(DateTime.UtcNow.AddHours(-2), DateTime.UtcNow.AddHours(-1), issuer.Audience, issuer.Issuer, new Claim("email", "jane@corp.example"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/test/challenge");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", expired);
        using var response = await host.Client.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{(int)response.StatusCode}: {raw}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("expired", JsonDocument.Parse(raw).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_catalog_that_cannot_be_read_while_mapping_a_valid_token_is_storages_503_not_a_401()
    {
        await using var issuer = await FakeOidcProvider.StartAsync();
        await using var host = await IdentityTestHost.StartAsync(azurite, new BusyDirectory(), new Dictionary<string, string?>
        {
            ["IDP_OIDC_AUTHORITY"] = issuer.Issuer,
            ["IDP_OIDC_AUDIENCE"] = issuer.Audience,
        });

        var me = await GetAsync(host, "/api/me", issuer.Token(new Claim("email", "jane@corp.example")));
        Expect(HttpStatusCode.ServiceUnavailable, me);
        Assert.Equal("Storage is busy; try again shortly.", me.Body.GetProperty("title").GetString());
    }

    private Task<IdentityTestHost> StartEntraAsync(FakeOidcProvider entra) =>
        IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?>
        {
            ["IDP_ENTRA_TENANT_ID"] = TenantId,
            ["IDP_ENTRA_CLIENT_ID"] = ClientId,
            ["IDP_ROLE_CLAIM_MAP"] = $"Portal.Admin=platform-admin, {SreGroupObjectId}=group:default/sre",
        }, services: s =>
        {
            // The scheme's metadata client reaches login.microsoftonline.com on the fake (as a hosts-file entry would).
            s.Configure<JwtBearerOptions>(EntraSettings.Scheme, o => o.BackchannelHttpHandler = entra.Redirect());
        });

    /// <summary>An Entra ID v2.0 access token's shape for a user calling our API.</summary>
    private static string EntraToken(FakeOidcProvider entra, string user, string[]? roles = null, string? scopes = null, string[]? groups = null, string audience = ClientId)
    {
        var payload = new Dictionary<string, object>
        {
            ["tid"] = TenantId,
            ["oid"] = Guid.NewGuid().ToString(),
            ["ver"] = "2.0",
            ["azp"] = Guid.NewGuid().ToString(),
            ["name"] = "Someone",
            ["preferred_username"] = user,
        };
        if (roles is not null)
        {
            payload["roles"] = roles;
        }

        if (groups is not null)
        {
            payload["groups"] = groups;
        }

        if (scopes is not null)
        {
            payload["scp"] = scopes;
        }

        return entra.TokenWith(audience, payload);
    }

    private static void Expect(HttpStatusCode status, (HttpStatusCode Status, JsonElement Body, string Raw) r) =>
        Assert.True(r.Status == status, $"expected {(int)status}, got {(int)r.Status}: {r.Raw}");

    private static string Detail((HttpStatusCode Status, JsonElement Body, string Raw) r) => r.Body.GetProperty("detail").GetString() ?? string.Empty;

    private static async Task<(HttpStatusCode Status, JsonElement Body, string Raw)> GetAsync(IdentityTestHost host, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await host.Client.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, raw.Length > 0 ? JsonDocument.Parse(raw).RootElement : default, raw);
    }

    /// <summary>A catalog whose storage keeps answering "server busy".</summary>
    private sealed class BusyDirectory : ICatalogDirectory
    {
        public ValueTask<DirectoryUser?> GetUserAsync(string userRef, CancellationToken cancellationToken) => throw Busy();

        public ValueTask<DirectoryUser?> FindUserAsync(string? annotation, string value, CancellationToken cancellationToken) => throw Busy();

        public ValueTask<IReadOnlyList<string>> GetOwnersAsync(string entityRef, CancellationToken cancellationToken) => throw Busy();

        public ValueTask<IReadOnlyList<DirectoryUser>> ListUsersAsync(CancellationToken cancellationToken) => throw Busy();

        private static StorageThrottledException Busy() => new("The table service kept answering 503.", 503, "ServerBusy");
    }
}
