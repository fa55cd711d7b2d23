using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace IdpServerless.Storage;

/// <summary>
/// Managed identity tokens: the App Service / Functions endpoint (<c>IDENTITY_ENDPOINT</c> +
/// <c>IDENTITY_HEADER</c>) when present, else the VM instance metadata service (169.254.169.254).
/// Tokens are cached per resource until five minutes before they expire; concurrent callers share one fetch.
/// </summary>
public sealed class ManagedIdentityTokenProvider : IStorageTokenProvider, IDisposable
{
    private const string ImdsEndpoint = "http://169.254.169.254/metadata/identity/oauth2/token";
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(15);

    private readonly HttpClient _http;
    private readonly string? _clientId;
    private readonly TimeProvider _time;
    private readonly Func<string, string?> _environment;
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset ExpiresOn)> _cache = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _fetchLock = new(1, 1);

    /// <param name="http">Client used to reach the identity endpoint.</param>
    /// <param name="clientId">Client id of a user-assigned identity; null for the system-assigned one.</param>
    /// <param name="time">Clock for expiry checks.</param>
    /// <param name="environment">Environment variable lookup (tests); defaults to <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    public ManagedIdentityTokenProvider(HttpClient http, string? clientId = null, TimeProvider? time = null, Func<string, string?>? environment = null)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _clientId = string.IsNullOrEmpty(clientId) ? null : clientId;
        _time = time ?? TimeProvider.System;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    public async ValueTask<string> GetTokenAsync(string resource, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        if (TryCached(resource) is { } cached)
        {
            return cached;
        }

        await _fetchLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (TryCached(resource) is { } fetchedMeanwhile)
            {
                return fetchedMeanwhile;
            }

            var (token, expiresOn) = await FetchAsync(resource, ct).ConfigureAwait(false);
            _cache[resource] = (token, expiresOn);
            return token;
        }
        finally
        {
            _fetchLock.Release();
        }
    }

    public void Dispose() => _fetchLock.Dispose();

    private string? TryCached(string resource) =>
        _cache.TryGetValue(resource, out var entry) && entry.ExpiresOn - RefreshMargin > _time.GetUtcNow() ? entry.Token : null;

    private async Task<(string Token, DateTimeOffset ExpiresOn)> FetchAsync(string resource, CancellationToken ct)
    {
        var endpoint = _environment("IDENTITY_ENDPOINT");
        var secret = _environment("IDENTITY_HEADER");
        var appService = !string.IsNullOrEmpty(endpoint) && !string.IsNullOrEmpty(secret);
        var query = (appService ? "?api-version=2019-08-01" : "?api-version=2018-02-01")
            + "&resource=" + Uri.EscapeDataString(resource)
            + (_clientId is null ? string.Empty : "&client_id=" + Uri.EscapeDataString(_clientId));
        using var request = new HttpRequestMessage(HttpMethod.Get, (appService ? endpoint : ImdsEndpoint) + query);
        if (appService)
        {
            request.Headers.TryAddWithoutValidation("X-IDENTITY-HEADER", secret);
        }
        else
        {
            request.Headers.TryAddWithoutValidation("Metadata", "true");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(FetchTimeout);
        using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        var source = appService ? "App Service identity endpoint" : "instance metadata service";
        if (!response.IsSuccessStatusCode)
        {
            throw new StorageException(
                $"Managed identity token request to the {source} failed with {(int)response.StatusCode}.",
                (int)response.StatusCode, "ManagedIdentityUnavailable");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        using var doc = await JsonDocument.ParseAsync(stream, default, timeout.Token).ConfigureAwait(false);
        var root = doc.RootElement;
        var token = root.TryGetProperty("access_token", out var t) ? t.GetString() : null;
        if (string.IsNullOrEmpty(token))
        {
            throw new StorageException($"The {source} answered without an access token.", (int)response.StatusCode, "ManagedIdentityUnavailable");
        }

        return (token, ExpiresOn(root));
    }

    private DateTimeOffset ExpiresOn(JsonElement root)
    {
        if (root.TryGetProperty("expires_on", out var on))
        {
            var text = on.ValueKind == JsonValueKind.Number ? on.GetRawText() : on.GetString();
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
            {
                return DateTimeOffset.FromUnixTimeSeconds(epoch);
            }

            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            {
                return date;
            }
        }

        if (root.TryGetProperty("expires_in", out var @in))
        {
            var text = @in.ValueKind == JsonValueKind.Number ? @in.GetRawText() : @in.GetString();
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
            {
                return _time.GetUtcNow().AddSeconds(seconds);
            }
        }

        // Unknown lifetime: keep it briefly rather than fetching on every request.
        return _time.GetUtcNow() + RefreshMargin + TimeSpan.FromMinutes(5);
    }
}
