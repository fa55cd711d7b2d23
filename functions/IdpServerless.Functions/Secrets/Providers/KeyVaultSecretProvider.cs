using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Core;
using Azure.Identity;

namespace IdpServerless.Functions.Secrets.Providers;

/// <summary>
/// <c>keyvault:&lt;name&gt;</c> from Azure Key Vault's REST API (<c>GET {IDP_KEYVAULT_URL}/secrets/{name}?api-version=7.4</c>)
/// with a token for <c>https://vault.azure.net</c> from the app's Entra ID credential (managed identity in Azure).
/// </summary>
public sealed class KeyVaultSecretProvider(IHttpClientFactory httpClients, IConfiguration configuration, TokenCredential credential) : ISecretProvider
{
    public const string HttpClientName = "keyvault";
    public const string Scope = "https://vault.azure.net/.default";

    public string Scheme => SecretReference.KeyVault;

    public async Task<string> GetAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        var vault = configuration["IDP_KEYVAULT_URL"] is { Length: > 0 } v && Uri.TryCreate(v.TrimEnd('/'), UriKind.Absolute, out var u)
            ? u
            : throw new SecretResolutionException(reference, "IDP_KEYVAULT_URL is not set to the vault's URL (https://<name>.vault.azure.net).");
        string token;
        try
        {
            token = (await credential.GetTokenAsync(new TokenRequestContext([Scope]), cancellationToken).ConfigureAwait(false)).Token;
        }
        catch (AuthenticationFailedException e)
        {
            throw new SecretResolutionException(reference, $"no Entra ID token for Key Vault ({e.GetType().Name}).");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{vault.AbsoluteUri.TrimEnd('/')}/secrets/{Uri.EscapeDataString(reference.Path)}?api-version=7.4");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new SecretResolutionException(reference, response.StatusCode switch
            {
                HttpStatusCode.NotFound => "Key Vault has no such secret (404).",
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => $"Key Vault refused the app's identity ({(int)response.StatusCode}).",
                _ => $"Key Vault answered {(int)response.StatusCode}.",
            }, (int)response.StatusCode);
        }

        using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), default, cancellationToken).ConfigureAwait(false);
        return doc.RootElement.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new SecretResolutionException(reference, "Key Vault answered without a value.");
    }
}
