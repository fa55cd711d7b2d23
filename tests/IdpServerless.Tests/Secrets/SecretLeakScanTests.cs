using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IdpServerless.Tests.Identity;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace IdpServerless.Tests.Secrets;

/// <summary>
/// The app as a process resolves secrets (one to sign the audit chain, one only checked, one used as its Vault token,
/// which Vault refuses), and then every place a value could end up is searched: all of storage, the app's whole
/// output at Trace level, the audit export and every response the test received.
/// </summary>
[Collection("azurite")]
public class SecretLeakScanTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task After_resolving_secrets_and_failing_to_use_one_no_value_appears_in_storage_logs_audit_or_responses()
    {
        var vaultToken = "tok-" + Guid.NewGuid().ToString("N");
        var signingKey = "sig-" + Guid.NewGuid().ToString("N");
        var auditKey = "aud-" + Guid.NewGuid().ToString("N");
        var secrets = new[] { vaultToken, signingKey, auditKey };
        const string VaultReference = "vault:secret/payments/db#password";

        var vaultCalls = 0;
        await using var vault = await FakeServer.StartAsync(app => app.MapGet("/v1/secret/data/payments/db", (HttpRequest r) =>
        {
            Interlocked.Increment(ref vaultCalls);
            return r.Headers["X-Vault-Token"] == "the-token-vault-knows"
                ? Results.Json(new { data = new { data = new { password = "unused" } } })
                : Results.Json(new { errors = new[] { "permission denied" } }, statusCode: 403);
        }));
        var auditTable = "auditleak" + Guid.NewGuid().ToString("N")[..8];
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string>
        {
            ["IDP_MODE"] = "local",
            ["IDP_BOOTSTRAP_ADMINS"] = "user:default/secops",
            ["IDP_AUDIT_TABLE"] = auditTable,
            ["IDP_AUDIT_KEY"] = "local:audit-key",
            ["Secrets__audit-key"] = auditKey,
            ["Secrets__signing-key"] = signingKey,
            ["Secrets__vault-token"] = vaultToken,
            ["IDP_VAULT_ADDR"] = vault.Url,
            ["IDP_VAULT_TOKEN"] = "local:vault-token",
            ["Logging__LogLevel__Default"] = "Trace",
            ["Logging__Console__LogToStandardErrorThreshold"] = "Trace",
        });

        var responses = new StringBuilder();
        async Task<JsonElement> CallAsync(HttpRequestMessage request, HttpStatusCode expected)
        {
            using var response = await app.Http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            responses.AppendLine(response.ToString()).AppendLine(body);
            Assert.True(response.StatusCode == expected, $"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {body}");
            return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
        }

        var token = (await CallAsync(Post("/api/auth/dev-token", new { user = "user:default/secops" }, null), HttpStatusCode.OK)).GetProperty("access_token").GetString()!;
        var local = await CallAsync(Post("/api/secrets/verify", new { reference = "local:signing-key" }, token), HttpStatusCode.OK);
        Assert.True(local.GetProperty("resolved").GetBoolean());
        var refused = await CallAsync(Post("/api/secrets/verify", new { reference = VaultReference }, token), HttpStatusCode.OK);
        Assert.False(refused.GetProperty("resolved").GetBoolean());
        Assert.Equal(403, refused.GetProperty("upstreamStatus").GetInt32());
        Assert.Equal(1, vaultCalls);
        await CallAsync(Post("/api/secrets/verify", new { reference = "local:absent" }, token), HttpStatusCode.OK);
        await CallAsync(Post("/api/secrets/verify", new { reference = vaultToken }, token), HttpStatusCode.UnprocessableEntity);
        using var export = new HttpRequestMessage(HttpMethod.Get, "/api/audit/export");
        export.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var exported = await app.Http.SendAsync(export);
        var audit = await exported.Content.ReadAsStringAsync();
        using var integrity = new HttpRequestMessage(HttpMethod.Get, "/api/audit/integrity");
        integrity.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.True((await CallAsync(integrity, HttpStatusCode.OK)).GetProperty("intact").GetBoolean());

        // Each place is shown to hold this run's traces, so finding nothing below means something.
        var logs = await Eventually.ValueAsync(
            () => Task.FromResult(app.Output.Contains("/v1/secret/data/payments/db", StringComparison.Ordinal) ? app.Output : null),
            TimeSpan.FromSeconds(10), "the app's log of its call to Vault");
        var (storage, tables, queues, blobs) = await new StorageScanner(azurite).DumpAsync();
        Assert.Contains(VaultReference, storage, StringComparison.Ordinal);
        Assert.Contains(VaultReference, audit, StringComparison.Ordinal);
        Assert.Contains(VaultReference, responses.ToString(), StringComparison.Ordinal);
        Assert.True(tables > 0);

        var places = new Dictionary<string, string>
        {
            [$"storage ({tables} tables, {queues} queues, {blobs} blobs)"] = storage,
            ["logs"] = logs,
            ["audit export"] = audit,
            ["responses"] = responses.ToString(),
        };
        foreach (var (place, text) in places)
        {
            foreach (var secret in secrets)
            {
                foreach (var form in new[] { secret, Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)) })
                {
                    Assert.False(text.Contains(form, StringComparison.Ordinal), $"a secret value was found in {place}");
                }
            }
        }
    }

    private static HttpRequestMessage Post(string path, object body, string? token)
    {
        var r = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (token is not null)
        {
            r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return r;
    }
}
