using System.Collections.Concurrent;

namespace IdpServerless.Functions.Secrets;

/// <summary>Turns secret references into values, when they are used.</summary>
public interface ISecretResolver
{
    /// <summary>Resolves <paramref name="reference"/>; <see cref="SecretResolutionException"/> when it cannot (or does not parse).</summary>
    ValueTask<SecretValue> ResolveAsync(string reference, CancellationToken cancellationToken);

    ValueTask<SecretValue> ResolveAsync(SecretReference reference, CancellationToken cancellationToken);
}

/// <summary>One secret store: Vault, Key Vault or local settings.</summary>
public interface ISecretProvider
{
    string Scheme { get; }

    /// <summary>The secret's text; <see cref="SecretResolutionException"/> (without the value) on failure.</summary>
    Task<string> GetAsync(SecretReference reference, CancellationToken cancellationToken);
}

/// <summary>
/// Resolves through the provider of the reference's scheme and keeps values in memory for a short while
/// (<c>IDP_SECRET_CACHE_SECONDS</c>, default 300; 0 = no cache) so a busy path does not call the store every time,
/// and a rotated secret is picked up soon. Concurrent resolutions of one reference share one call. Failures are not cached.
/// </summary>
public sealed class SecretResolver(IEnumerable<ISecretProvider> providers, IConfiguration configuration, TimeProvider time) : ISecretResolver
{
    private readonly Dictionary<string, ISecretProvider> _providers = providers.ToDictionary(p => p.Scheme, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<(SecretValue Value, DateTimeOffset Expires)>>> _cache = new(StringComparer.Ordinal);
    private readonly TimeSpan _ttl = TimeSpan.FromSeconds(int.TryParse(configuration["IDP_SECRET_CACHE_SECONDS"], out var s) && s >= 0 ? s : 300);

    public ValueTask<SecretValue> ResolveAsync(string reference, CancellationToken cancellationToken) =>
        SecretReference.TryParse(reference, out var parsed, out var error)
            ? ResolveAsync(parsed, cancellationToken)
            : throw new SecretResolutionException(null, "Not a secret reference: " + error);

    public async ValueTask<SecretValue> ResolveAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (!_providers.TryGetValue(reference.Scheme, out var provider))
        {
            throw new SecretResolutionException(reference, $"no provider for '{reference.Scheme}:' references is configured.");
        }

        var key = reference.ToString();
        while (true)
        {
            var mine = new Lazy<Task<(SecretValue, DateTimeOffset)>>(() => FetchAsync(provider, reference));
            var entry = _cache.GetOrAdd(key, mine);
            try
            {
                var (value, expires) = await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (expires > time.GetUtcNow())
                {
                    return value;
                }

                _cache.TryRemove(new KeyValuePair<string, Lazy<Task<(SecretValue, DateTimeOffset)>>>(key, entry));
                if (ReferenceEquals(entry, mine))
                {
                    // Fetched for this call: good to use even when nothing may be cached.
                    return value;
                }
            }
            catch (Exception) when (entry.Value.IsFaulted || entry.Value.IsCanceled)
            {
                _cache.TryRemove(new KeyValuePair<string, Lazy<Task<(SecretValue, DateTimeOffset)>>>(key, entry));
                throw;
            }
        }
    }

    /// <summary>Forgets cached values (e.g. after a provider said a credential was refused).</summary>
    public void Invalidate(SecretReference reference) => _cache.TryRemove(reference.ToString(), out _);

    private async Task<(SecretValue, DateTimeOffset)> FetchAsync(ISecretProvider provider, SecretReference reference)
    {
        // Not the caller's token: the fetch is shared by every caller waiting for this reference.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string text;
        try
        {
            text = await provider.GetAsync(reference, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new SecretResolutionException(reference, "the secret store did not answer within 30 s.");
        }
        catch (HttpRequestException e)
        {
            throw new SecretResolutionException(reference, $"the secret store is unreachable ({e.HttpRequestError}).");
        }

        var expires = _ttl == TimeSpan.Zero ? DateTimeOffset.MinValue : time.GetUtcNow() + _ttl;
        return (new SecretValue(reference, text), expires);
    }
}
