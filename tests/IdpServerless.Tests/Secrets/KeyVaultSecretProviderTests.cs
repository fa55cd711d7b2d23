using IdpServerless.Functions.Secrets;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Identity;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Secrets;

/// <summary>
/// <c>keyvault:</c> references through the app's composition (its <c>SecretClient</c> with the app's
/// <c>TokenCredential</c>) against <see cref="KeyVaultFake"/> over TLS: the challenge-based bearer flow, caching, and
/// each failure as a clear <see cref="SecretResolutionException"/> that carries no value and no response body.
/// </summary>
[Collection("azurite")]
public class KeyVaultSecretProviderTests(AzuriteFixture azurite)
{
    private const string Scope = "https://vault.azure.net/.default";

    [Fact]
    public async Task Resolves_after_the_bearer_challenge_with_the_apps_credential_caches_and_logs_neither_value_nor_token()
    {
        var value = "kv-" + Guid.NewGuid().ToString("N");
        await using var vault = await KeyVaultFake.StartAsync(new Dictionary<string, string> { ["payments-db"] = value });
        var credential = new FakeTokenCredential("mi-token");
        var logs = new CapturedLogs();
        await using var host = await StartAsync(vault, credential, new() { ["Logging:LogLevel:Default"] = "Trace" }, logs);
        var resolver = host.App.Services.GetRequiredService<ISecretResolver>();

        Assert.Equal(value, (await resolver.ResolveAsync("keyvault:payments-db", default)).Reveal());
        Assert.Equal(value, (await resolver.ResolveAsync("keyvault:payments-db", default)).Reveal());

        // One challenge (no token sent), one authorized read, then the cache (IDP_SECRET_CACHE_SECONDS, default 300).
        var requests = vault.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(("payments-db", ""), (requests[0].Name, requests[0].Authorization));
        Assert.Equal(("payments-db", "Bearer mi-token"), (requests[1].Name, requests[1].Authorization));
        Assert.All(requests, r => Assert.False(string.IsNullOrEmpty(r.ApiVersion)));
        var asked = Assert.Single(credential.Requests);
        Assert.Equal([Scope], asked.Scopes);
        Assert.Equal(KeyVaultFake.Tenant, asked.TenantId);

        var logged = string.Join('\n', logs.Entries.Select(e => e.Message));
        Assert.Contains(KeyVaultFake.Host, logged, StringComparison.Ordinal); // the HTTP client did log at Trace
        Assert.DoesNotContain(value, logged, StringComparison.Ordinal);
        Assert.DoesNotContain("mi-token", logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_secret_a_refusal_and_throttling_name_status_and_code_without_body_and_a_short_retry_after_is_waited_for()
    {
        await using var vault = await KeyVaultFake.StartAsync(new Dictionary<string, string> { ["payments-db"] = "kv-value" });
        await using var host = await StartAsync(vault, new FakeTokenCredential("mi-token"), new() { ["IDP_SECRET_CACHE_SECONDS"] = "0" });
        var resolver = host.App.Services.GetRequiredService<ISecretResolver>();

        var missing = await FailAsync(resolver, "keyvault:unknown");
        Assert.Equal(404, missing.UpstreamStatus);
        Assert.Equal("Secret keyvault:unknown could not be resolved: Key Vault has no such secret (404, SecretNotFound).", missing.Message);

        var forbidden = await FailAsync(resolver, "keyvault:forbidden-db");
        Assert.Equal(403, forbidden.UpstreamStatus);
        Assert.Contains("refused the app's identity (403, Forbidden)", forbidden.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyVaultFake.ErrorMessageText, forbidden.Message, StringComparison.Ordinal);

        var throttled = await FailAsync(resolver, "keyvault:throttled-db");
        Assert.Equal(429, throttled.UpstreamStatus);
        Assert.Contains("throttling the app (429, Throttled); retry after 120 s", throttled.Message, StringComparison.Ordinal);
        Assert.Single(vault.Requests, r => r.Name == "throttled-db"); // a Retry-After beyond the bound is not waited for

        Assert.Equal("kv-value", (await resolver.ResolveAsync("keyvault:busy-db", default)).Reveal()); // Retry-After: 0, retried
        Assert.Equal(2, vault.Requests.Count(r => r.Name == "busy-db"));
        Assert.All(vault.Requests.Skip(1), r => Assert.Equal("Bearer mi-token", r.Authorization));
    }

    [Fact]
    public async Task A_token_the_vault_refuses_or_no_token_at_all_is_a_clear_401_or_credential_failure()
    {
        await using var vault = await KeyVaultFake.StartAsync(new Dictionary<string, string> { ["payments-db"] = "kv-value" });
        await using (var host = await StartAsync(vault, new FakeTokenCredential("token-of-another-tenant"), []))
        {
            var refused = await FailAsync(host.App.Services.GetRequiredService<ISecretResolver>(), "keyvault:payments-db");
            Assert.Equal(401, refused.UpstreamStatus);
            Assert.Contains("refused the app's identity (401, Unauthorized)", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("token-of-another-tenant", refused.Message, StringComparison.Ordinal);
        }

        var failing = new FakeTokenCredential("unused", fail: true);
        await using (var host = await StartAsync(vault, failing, []))
        {
            var noToken = await FailAsync(host.App.Services.GetRequiredService<ISecretResolver>(), "keyvault:payments-db");
            Assert.Null(noToken.UpstreamStatus);
            Assert.Equal("Secret keyvault:payments-db could not be resolved: no Entra ID token for Key Vault (AuthenticationFailedException).", noToken.Message);
            Assert.NotEmpty(failing.Requests);
        }
    }

    [Fact]
    public async Task A_vault_that_does_not_answer_or_is_gone_fails_after_bounded_tries_with_a_clear_message()
    {
        await using var vault = await KeyVaultFake.StartAsync(new Dictionary<string, string>());
        await using var host = await StartAsync(vault, new FakeTokenCredential("mi-token"), new() { ["IDP_KEYVAULT_TIMEOUT_SECONDS"] = "0.5" });

        var slow = await FailAsync(host.App.Services.GetRequiredService<ISecretResolver>(), "keyvault:slow-db");
        Assert.Equal("Secret keyvault:slow-db could not be resolved: Key Vault did not answer within 0.5 s (per try, 3 tries).", slow.Message);
        Assert.Equal(3, vault.Requests.Count(r => r.Name == "slow-db" && r.Authorization == "Bearer mi-token"));

        await vault.DisposeAsync(); // nothing listens on the vault's port any more
        var gone = await FailAsync(host.App.Services.GetRequiredService<ISecretResolver>(), "keyvault:payments-db");
        Assert.Equal("Secret keyvault:payments-db could not be resolved: Key Vault is unreachable (ConnectionError, 3 tries).", gone.Message);
    }

    [Fact]
    public async Task A_challenge_naming_another_resource_gets_no_token_and_a_plain_http_vault_is_refused_up_front()
    {
        await using var vault = await KeyVaultFake.StartAsync(new Dictionary<string, string> { ["payments-db"] = "kv-value" }, challengeResource: "https://vault.attacker.example");
        var credential = new FakeTokenCredential("mi-token");
        await using var host = await StartAsync(vault, credential, []);

        var e = await FailAsync(host.App.Services.GetRequiredService<ISecretResolver>(), "keyvault:payments-db");
        Assert.Contains("challenge names a resource outside the vault's domain, so no token was sent", e.Message, StringComparison.Ordinal);
        Assert.Empty(credential.Requests);
        Assert.NotEmpty(vault.Requests);
        Assert.All(vault.Requests, r => Assert.Equal("", r.Authorization));

        var requestsBefore = vault.Requests.Count;
        await using var plain = await IdentityTestHost.StartAsync(azurite, null, new Dictionary<string, string?> { ["IDP_KEYVAULT_URL"] = vault.Url.Replace("https:", "http:", StringComparison.Ordinal) },
            services: s => s.AddSingleton<Azure.Core.TokenCredential>(credential));
        var http = await FailAsync(plain.App.Services.GetRequiredService<ISecretResolver>(), "keyvault:payments-db");
        Assert.Contains("IDP_KEYVAULT_URL must be the vault's https URL", http.Message, StringComparison.Ordinal);
        Assert.Equal(requestsBefore, vault.Requests.Count);
    }

    private static async Task<SecretResolutionException> FailAsync(ISecretResolver resolver, string reference) =>
        await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync(reference, default).AsTask());

    private Task<IdentityTestHost> StartAsync(KeyVaultFake vault, FakeTokenCredential credential, Dictionary<string, string?> settings, CapturedLogs? logs = null)
    {
        settings["IDP_KEYVAULT_URL"] = vault.Url;
        return IdentityTestHost.StartAsync(azurite, null, settings, services: s =>
        {
            s.AddSingleton<Azure.Core.TokenCredential>(credential);
            vault.UseIn(s);
            if (logs is not null)
            {
                s.AddSingleton<ILoggerProvider>(logs);
            }
        });
    }
}
