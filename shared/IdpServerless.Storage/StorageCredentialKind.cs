namespace IdpServerless.Storage;

/// <summary>How requests to the account are authorized.</summary>
public enum StorageCredentialKind
{
    /// <summary>Account key: SharedKey (blobs, queues) and SharedKeyLite (tables) signatures.</summary>
    SharedKey,

    /// <summary>A shared access signature appended to every request URL.</summary>
    SharedAccessSignature,

    /// <summary>An Entra ID bearer token from an <see cref="IStorageTokenProvider"/> (managed identity).</summary>
    BearerToken,
}
