namespace IdpServerless.Storage;

/// <summary>
/// Supplies Entra ID access tokens for bearer authorization (used when the account has no key or SAS).
/// Implementations must be thread-safe and should cache tokens; <see cref="ManagedIdentityTokenProvider"/> does.
/// </summary>
public interface IStorageTokenProvider
{
    /// <summary>Returns an access token for <paramref name="resource"/> (e.g. <c>https://storage.azure.com/</c>).</summary>
    ValueTask<string> GetTokenAsync(string resource, CancellationToken ct);
}
