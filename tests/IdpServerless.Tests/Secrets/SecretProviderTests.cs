using System.Net;
using System.Text.Json;
using IdpServerless.Functions.Secrets;
using IdpServerless.Storage;
using IdpServerless.Tests.Identity;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Secrets;

/// <summary>
/// Resolution through the Vault and local providers against HTTP fakes of Vault's KV v2 and AppRole APIs, in their
/// documented request and response shapes (Key Vault's: <see cref="KeyVaultSecretProviderTests"/>).
/// </summary>
[Collection("azurite")]
public class SecretProviderTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Vault_kv2_resolves_with_a_token_caches_briefly_and_names_only_the_reference_on_failure()
    {
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var reads = 0;
        await using var vault = await FakeServer.StartAsync(app => app.MapGet("/v1/secret/data/payments/db", (HttpRequest r) =>
        {
            Interlocked.Increment(ref reads);
            return r.Headers["X-Vault-Token"] == "root-token"
                ? Results.Json(new { data = new { data = new { password }, metadata = new { version = 3 } } })
                : Results.Json(new { errors = new[] { "permission denied" } }, statusCode: 403);
        }));
        await using var host = await IdentityTestHost.StartAsync(azurite, null, new Dictionary<string, string?>
        {
            ["IDP_VAULT_ADDR"] = vault.Url,
            ["IDP_VAULT_TOKEN"] = "root-token",
        });
        var resolver = host.App.Services.GetRequiredService<ISecretResolver>();

        var value = await resolver.ResolveAsync("vault:secret/payments/db#password", default);
        Assert.Equal(password, value.Reveal());
        await resolver.ResolveAsync("vault:secret/payments/db#password", default);
        Assert.Equal(1, reads);

        var missingKey = await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync("vault:secret/payments/db#username", default).AsTask());
        Assert.Contains("vault:secret/payments/db#username", missingKey.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync("vault:secret/payments/other#password", default).AsTask());
        Assert.Equal(404, missing.UpstreamStatus);
        Assert.DoesNotContain(password, missingKey.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Vault_approle_logs_in_once_and_signs_in_again_when_its_token_is_refused()
    {
        var logins = 0;
        var currentToken = string.Empty;
        await using var vault = await FakeServer.StartAsync(app =>
        {
            app.MapPost("/v1/auth/approle/login", async (HttpRequest r) =>
            {
                var body = await JsonSerializer.DeserializeAsync<Dictionary<string, string>>(r.Body);
                if (body?["role_id"] != "role-1" || body["secret_id"] != "sid-secret")
                {
                    return Results.Json(new { errors = new[] { "invalid role or secret ID" } }, statusCode: 400);
                }

                currentToken = "hvs." + Interlocked.Increment(ref logins);
                return Results.Json(new { auth = new { client_token = currentToken, lease_duration = 3600, renewable = true, policies = new[] { "default" } } });
            });
            app.MapGet("/v1/kv/data/ci/github", (HttpRequest r) => r.Headers["X-Vault-Token"] == currentToken
                ? Results.Json(new { data = new { data = new { token = "gh-value" }, metadata = new { version = 1 } } })
                : Results.Json(new { errors = new[] { "permission denied" } }, statusCode: 403));
            app.MapPost("/test/revoke", () => currentToken = "revoked");
        });
        await using var host = await IdentityTestHost.StartAsync(azurite, null, new Dictionary<string, string?>
        {
            ["IDP_VAULT_ADDR"] = vault.Url,
            ["IDP_VAULT_ROLE_ID"] = "role-1",
            ["IDP_VAULT_SECRET_ID"] = "local:vault-secret-id",
            ["Secrets:vault-secret-id"] = "sid-secret",
            ["IDP_SECRET_CACHE_SECONDS"] = "0",
        });
        var resolver = host.App.Services.GetRequiredService<ISecretResolver>();

        Assert.Equal("gh-value", (await resolver.ResolveAsync("vault:kv/ci/github#token", default)).Reveal());
        Assert.Equal("gh-value", (await resolver.ResolveAsync("vault:kv/ci/github#token", default)).Reveal());
        Assert.Equal(1, logins);

        using var http = new HttpClient();
        await http.PostAsync(vault.Url + "/test/revoke", null);
        Assert.Equal("gh-value", (await resolver.ResolveAsync("vault:kv/ci/github#token", default)).Reveal());
        Assert.Equal(2, logins);
    }

    [Fact]
    public async Task Local_references_come_from_settings_and_an_unset_one_fails_without_guessing()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, null, new Dictionary<string, string?> { ["Secrets:smtp-password"] = "local-value" });
        var resolver = host.App.Services.GetRequiredService<ISecretResolver>();
        Assert.Equal("local-value", (await resolver.ResolveAsync("local:smtp-password", default)).Reveal());
        var e = await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync("local:absent", default).AsTask());
        Assert.Contains("Secrets__absent", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync("not-a-reference", default).AsTask());
    }
}
