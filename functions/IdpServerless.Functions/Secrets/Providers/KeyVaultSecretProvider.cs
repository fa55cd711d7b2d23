using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;

namespace IdpServerless.Functions.Secrets.Providers;

/// <summary>
/// <c>keyvault:&lt;name&gt;</c> from Azure Key Vault through Azure.Security.KeyVault.Secrets' <see cref="SecretClient"/>
/// (<c>IDP_KEYVAULT_URL</c>) with the app's Entra ID <see cref="TokenCredential"/> (managed identity in Azure). The SDK
/// runs Key Vault's challenge-based bearer flow (it checks that the challenge's resource belongs to the vault's domain)
/// and retries transient failures: at most two retries, each try bounded by <c>IDP_KEYVAULT_TIMEOUT_SECONDS</c>
/// (default 10), and a 429 is retried only when its Retry-After fits in <see cref="MaxRetryAfter"/>. Requests go through
/// the <see cref="HttpClientName"/> client of <see cref="IHttpClientFactory"/>, whose logs redact header values.
/// Failures become <see cref="SecretResolutionException"/>s that name the status and Key Vault's error code, never a
/// response body.
/// </summary>
public sealed class KeyVaultSecretProvider(IHttpClientFactory httpClients, IConfiguration configuration, TokenCredential credential) : ISecretProvider
{
    public const string HttpClientName = "keyvault";

    /// <summary>The longest Retry-After of a 429 that is waited for; a longer one is reported to the caller.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(5);

    private const int MaxRetries = 2;
    private readonly ConcurrentDictionary<Uri, SecretClient> _clients = new();

    public string Scheme => SecretReference.KeyVault;

    public async Task<string> GetAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        var vault = configuration["IDP_KEYVAULT_URL"] is { Length: > 0 } v && Uri.TryCreate(v.TrimEnd('/'), UriKind.Absolute, out var u)
            ? u
            : throw new SecretResolutionException(reference, "IDP_KEYVAULT_URL is not set to the vault's URL (https://<name>.vault.azure.net).");
        if (vault.Scheme != Uri.UriSchemeHttps)
        {
            // The SDK sends bearer tokens over TLS only; say so before any call.
            throw new SecretResolutionException(reference, "IDP_KEYVAULT_URL must be the vault's https URL (https://<name>.vault.azure.net).");
        }

        var timeout = Timeout();
        try
        {
            var client = _clients.GetOrAdd(vault, CreateClient);
            KeyVaultSecret secret = await client.GetSecretAsync(reference.Path, version: null, cancellationToken).ConfigureAwait(false);
            return secret.Value ?? throw new SecretResolutionException(reference, "Key Vault answered without a value.");
        }
        catch (RequestFailedException e) when (e.Status != 0)
        {
            throw new SecretResolutionException(reference, Describe(e), e.Status);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && Unanswered(e, timeout) is { } reason)
        {
            throw new SecretResolutionException(reference, reason);
        }
    }

    /// <summary>Why no answer came: no token, no connection, no reply in time; the SDK aggregates the failures of its tries.</summary>
    private static string? Unanswered(Exception e, TimeSpan timeout, int tries = 1)
    {
        var of = tries == 1 ? string.Empty : $", {tries} tries";
        return e switch
        {
            AggregateException { InnerExceptions.Count: > 0 } a => Unanswered(a.InnerExceptions[^1], timeout, a.InnerExceptions.Count),
            AuthenticationFailedException => $"no Entra ID token for Key Vault ({e.GetType().Name}).",
            OperationCanceledException => $"Key Vault did not answer within {timeout.TotalSeconds:0.#} s (per try{of}).",
            RequestFailedException { InnerException: HttpRequestException h } => $"Key Vault is unreachable ({h.HttpRequestError}{of}).",
            RequestFailedException => $"Key Vault is unreachable (no response{of}).",
            // The SDK refuses a challenge whose resource is outside the vault's domain (a token must not go elsewhere).
            InvalidOperationException when e.Message.Contains("challenge", StringComparison.OrdinalIgnoreCase) =>
                "Key Vault's authentication challenge names a resource outside the vault's domain, so no token was sent.",
            _ => null,
        };
    }

    private SecretClient CreateClient(Uri vault)
    {
        var options = new SecretClientOptions
        {
            Transport = new HttpClientTransport(httpClients.CreateClient(HttpClientName)),
            RetryPolicy = new RetryAfterBoundPolicy(MaxRetries, MaxRetryAfter),
        };
        options.Retry.NetworkTimeout = Timeout();
        options.Diagnostics.IsLoggingContentEnabled = false;
        return new SecretClient(vault, credential, options);
    }

    private TimeSpan Timeout() =>
        TimeSpan.FromSeconds(double.TryParse(configuration["IDP_KEYVAULT_TIMEOUT_SECONDS"], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 10);

    private static string Describe(RequestFailedException e)
    {
        var code = string.IsNullOrEmpty(e.ErrorCode) ? string.Empty : $", {e.ErrorCode}";
        return e.Status switch
        {
            404 => $"Key Vault has no such secret (404{code}).",
            401 or 403 => $"Key Vault refused the app's identity ({e.Status}{code}).",
            429 => $"Key Vault is throttling the app (429{code}); retry after {RetryAfter(e.GetRawResponse()) ?? "a while"}.",
            _ => $"Key Vault answered {e.Status}{code}.",
        };
    }

    private static string? RetryAfter(Response? response) => ServerDelay(response) is { } d ? $"{d.TotalSeconds:0} s" : null;

    /// <summary>Retry-After as seconds or an HTTP date (RFC 9110), when the response has one.</summary>
    private static TimeSpan? ServerDelay(Response? response)
    {
        if (response is null || !response.Headers.TryGetValue("Retry-After", out var value))
        {
            return null;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at - DateTimeOffset.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero
            : null;
    }

    /// <summary>Azure.Core's retries, except that a 429 asking to wait longer than the bound is not waited for.</summary>
    private sealed class RetryAfterBoundPolicy(int maxRetries, TimeSpan maxRetryAfter)
        : RetryPolicy(maxRetries, DelayStrategy.CreateExponentialDelayStrategy(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2)))
    {
        protected override bool ShouldRetry(HttpMessage message, Exception? exception) =>
            !(message.HasResponse && message.Response.Status == 429 && ServerDelay(message.Response) > maxRetryAfter) &&
            base.ShouldRetry(message, exception);

        protected override ValueTask<bool> ShouldRetryAsync(HttpMessage message, Exception? exception) => ValueTask.FromResult(ShouldRetry(message, exception));
    }
}
