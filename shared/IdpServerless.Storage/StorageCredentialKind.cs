namespace IdpServerless.Storage;

/// <summary>How requests to the account are authorized (the SDK credential <see cref="StorageClient"/> gives its clients).</summary>
public enum StorageCredentialKind
{
    /// <summary>Account key (the SDK signs with it).</summary>
    SharedKey,

    /// <summary>A shared access signature appended to every request URL.</summary>
    SharedAccessSignature,

    /// <summary>An Entra ID bearer token from a TokenCredential (managed identity).</summary>
    BearerToken,
}
