using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace IdpServerless.Functions.Secrets.Providers;

/// <summary>
/// <c>vault:&lt;mount&gt;/&lt;path&gt;#&lt;key&gt;</c> from HashiCorp Vault's KV v2 engine over its REST API
/// (<c>GET /v1/&lt;mount&gt;/data/&lt;path&gt;</c>). Signs in with <c>IDP_VAULT_TOKEN</c>, or with AppRole
/// (<c>IDP_VAULT_ROLE_ID</c> + <c>IDP_VAULT_SECRET_ID</c>, login at <c>/v1/auth/&lt;IDP_VAULT_APPROLE_MOUNT&gt;/login</c>),
/// keeping the client token until its lease ends. The token and secret id settings may themselves be <c>local:</c> or
/// <c>keyvault:</c> references. <c>IDP_VAULT_NAMESPACE</c> selects a Vault Enterprise namespace.
/// </summary>
public sealed class VaultSecretProvider(IHttpClientFactory httpClients, IConfiguration configuration, IServiceProvider services, TimeProvider time) : ISecretProvider
{
    public const string HttpClientName = "vault";

    private readonly SemaphoreSlim _login = new(1, 1);
    private (string Token, DateTimeOffset Expires)? _appRoleToken;

    public string Scheme => SecretReference.Vault;

    public async Task<string> GetAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        var address = configuration["IDP_VAULT_ADDR"] is { Length: > 0 } a && Uri.TryCreate(a.TrimEnd('/'), UriKind.Absolute, out var u)
            ? u
            : throw new SecretResolutionException(reference, "IDP_VAULT_ADDR is not set to Vault's URL.");
        var slash = reference.Path.IndexOf('/', StringComparison.Ordinal);
        var url = $"{address.AbsoluteUri.TrimEnd('/')}/v1/{reference.Path[..slash]}/data/{reference.Path[(slash + 1)..]}";

        for (var attempt = 1; ; attempt++)
        {
            var (token, fromAppRole) = await TokenAsync(reference, cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.TryAddWithoutValidation("X-Vault-Token", token);
            AddNamespace(request);
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Forbidden && fromAppRole && attempt == 1)
            {
                _appRoleToken = null; // the lease may have been revoked: sign in again once
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new SecretResolutionException(reference, response.StatusCode switch
                {
                    HttpStatusCode.NotFound => "Vault has no such secret (404).",
                    HttpStatusCode.Forbidden => "Vault refused the request (403): the token is invalid or has no policy for this path.",
                    _ => $"Vault answered {(int)response.StatusCode}.",
                }, (int)response.StatusCode);
            }

            using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), default, cancellationToken).ConfigureAwait(false);
            if (doc.RootElement.TryGetProperty("data", out var outer) && outer.ValueKind == JsonValueKind.Object &&
                outer.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object &&
                data.TryGetProperty(reference.Key!, out var value) && value.ValueKind == JsonValueKind.String)
            {
                return value.GetString()!;
            }

            throw new SecretResolutionException(reference, $"the secret has no string key '{reference.Key}' (is the mount a KV v2 engine?).");
        }
    }

    private async Task<(string Token, bool FromAppRole)> TokenAsync(SecretReference reference, CancellationToken ct)
    {
        if (configuration["IDP_VAULT_TOKEN"] is { Length: > 0 } direct)
        {
            return (await SettingAsync(direct, ct).ConfigureAwait(false), false);
        }

        var roleId = configuration["IDP_VAULT_ROLE_ID"];
        var secretIdSetting = configuration["IDP_VAULT_SECRET_ID"];
        if (string.IsNullOrEmpty(roleId) || string.IsNullOrEmpty(secretIdSetting))
        {
            throw new SecretResolutionException(reference, "set IDP_VAULT_TOKEN, or IDP_VAULT_ROLE_ID and IDP_VAULT_SECRET_ID for AppRole.");
        }

        if (_appRoleToken is { } cached && cached.Expires > time.GetUtcNow())
        {
            return (cached.Token, true);
        }

        await _login.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_appRoleToken is { } fresh && fresh.Expires > time.GetUtcNow())
            {
                return (fresh.Token, true);
            }

            var secretId = await SettingAsync(secretIdSetting, ct).ConfigureAwait(false);
            var mount = configuration["IDP_VAULT_APPROLE_MOUNT"] is { Length: > 0 } m ? m.Trim('/') : "approle";
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{configuration["IDP_VAULT_ADDR"]!.TrimEnd('/')}/v1/auth/{mount}/login")
            {
                Content = JsonContent.Create(new Dictionary<string, string> { ["role_id"] = roleId, ["secret_id"] = secretId }),
            };
            AddNamespace(request);
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new SecretResolutionException(reference, $"Vault AppRole login failed ({(int)response.StatusCode}).", (int)response.StatusCode);
            }

            using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), default, ct).ConfigureAwait(false);
            if (!doc.RootElement.TryGetProperty("auth", out var auth) || auth.ValueKind != JsonValueKind.Object ||
                !auth.TryGetProperty("client_token", out var t) || t.GetString() is not { Length: > 0 } token)
            {
                throw new SecretResolutionException(reference, "Vault AppRole login answered without a client token.");
            }

            var lease = auth.TryGetProperty("lease_duration", out var l) && l.TryGetInt32(out var seconds) && seconds > 0 ? seconds : 300;
            _appRoleToken = (token, time.GetUtcNow() + TimeSpan.FromSeconds(lease * 0.8));
            return (token, true);
        }
        finally
        {
            _login.Release();
        }
    }

    private async Task<string> SettingAsync(string value, CancellationToken ct)
    {
        if (!SecretReference.LooksLikeReference(value))
        {
            return value;
        }

        var r = SecretReference.Parse(value);
        if (r.Scheme == SecretReference.Vault)
        {
            throw new SecretResolutionException(r, "Vault's own credentials cannot come from Vault.");
        }

        return (await services.GetRequiredService<ISecretResolver>().ResolveAsync(r, ct).ConfigureAwait(false)).Reveal();
    }

    private void AddNamespace(HttpRequestMessage request)
    {
        if (configuration["IDP_VAULT_NAMESPACE"] is { Length: > 0 } ns)
        {
            request.Headers.TryAddWithoutValidation("X-Vault-Namespace", ns);
        }
    }
}
