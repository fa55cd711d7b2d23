using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace IdpServerless.Storage.Internal;

/// <summary>
/// Builds the Azure SDK's service clients for one account: credentials, retries, timeouts, transport and the
/// storage API version. This is the one place that decides the API version: the Queues and Blobs SDKs send
/// versions newer than Azurite 3.37 knows (2026-10-06 against its 2026-06-06), so every client is pinned to
/// the newest version both Azure and the emulator accept, and the tests run Azurite without
/// <c>--skipApiVersionCheck</c> so a drift shows at once.
/// </summary>
internal static class SdkClients
{
    public const QueueClientOptions.ServiceVersion QueueVersion = QueueClientOptions.ServiceVersion.V2026_06_06;
    public const BlobClientOptions.ServiceVersion BlobVersion = BlobClientOptions.ServiceVersion.V2026_06_06;
    public const TableClientOptions.ServiceVersion TableVersion = TableClientOptions.ServiceVersion.V2020_12_06;

    /// <summary>Options at the pinned version with our retries and diagnostics; <paramref name="http"/> as transport when given.</summary>
    public static TableClientOptions TableOptions(StorageClientOptions options, HttpClient? http) => Configure(new TableClientOptions(TableVersion), options, http);

    /// <summary>Options at the pinned version with our retries and diagnostics (the SDK's message encoding: none).</summary>
    public static QueueClientOptions QueueOptions(StorageClientOptions options, HttpClient? http) => Configure(new QueueClientOptions(QueueVersion), options, http);

    /// <summary>Options at the pinned version with our retries and diagnostics.</summary>
    public static BlobClientOptions BlobOptions(StorageClientOptions options, HttpClient? http) => Configure(new BlobClientOptions(BlobVersion), options, http);

    public static TableServiceClient Tables(StorageAccount account, StorageClientOptions options, HttpClient? http, TokenCredential? credential) =>
        Tables(account, TableOptions(options, http), credential);

    public static TableServiceClient Tables(StorageAccount account, TableClientOptions o, TokenCredential? credential)
    {
        return account.CredentialKind switch
        {
            StorageCredentialKind.SharedKey => new TableServiceClient(account.TableEndpoint, new TableSharedKeyCredential(account.AccountName, Convert.ToBase64String(account.Key!)), o),
            StorageCredentialKind.SharedAccessSignature => new TableServiceClient(account.TableEndpoint, new AzureSasCredential(account.Sas!), o),
            _ => new TableServiceClient(account.TableEndpoint, RequireCredential(credential), o),
        };
    }

    public static QueueServiceClient Queues(StorageAccount account, StorageClientOptions options, HttpClient? http, TokenCredential? credential)
    {
        // Raw text, as host.json's queues.messageEncoding "none": what one side writes the other reads unchanged.
        var o = QueueOptions(options, http);
        o.MessageEncoding = QueueMessageEncoding.None;
        return Queues(account, o, credential);
    }

    public static QueueServiceClient Queues(StorageAccount account, QueueClientOptions o, TokenCredential? credential)
    {
        return account.CredentialKind switch
        {
            StorageCredentialKind.SharedKey => new QueueServiceClient(account.QueueEndpoint, new StorageSharedKeyCredential(account.AccountName, Convert.ToBase64String(account.Key!)), o),
            StorageCredentialKind.SharedAccessSignature => new QueueServiceClient(account.QueueEndpoint, new AzureSasCredential(account.Sas!), o),
            _ => new QueueServiceClient(account.QueueEndpoint, RequireCredential(credential), o),
        };
    }

    public static BlobServiceClient Blobs(StorageAccount account, StorageClientOptions options, HttpClient? http, TokenCredential? credential) =>
        Blobs(account, BlobOptions(options, http), credential);

    public static BlobServiceClient Blobs(StorageAccount account, BlobClientOptions o, TokenCredential? credential)
    {
        return account.CredentialKind switch
        {
            StorageCredentialKind.SharedKey => new BlobServiceClient(account.BlobEndpoint, new StorageSharedKeyCredential(account.AccountName, Convert.ToBase64String(account.Key!)), o),
            StorageCredentialKind.SharedAccessSignature => new BlobServiceClient(account.BlobEndpoint, new AzureSasCredential(account.Sas!), o),
            _ => new BlobServiceClient(account.BlobEndpoint, RequireCredential(credential), o),
        };
    }

    private static T Configure<T>(T o, StorageClientOptions options, HttpClient? http)
        where T : ClientOptions
    {
        o.Retry.Mode = RetryMode.Exponential;
        o.Retry.MaxRetries = options.MaxRetryAttempts;
        o.Retry.Delay = options.RetryBaseDelay;
        o.Retry.MaxDelay = options.MaxRetryDelay;
        o.Retry.NetworkTimeout = options.RequestTimeout;
        // Request bodies and URLs are never logged; headers only by name (the SDK's default allow-list).
        o.Diagnostics.IsLoggingContentEnabled = false;
        o.Diagnostics.IsTelemetryEnabled = false;
        if (http is not null)
        {
            o.Transport = new HttpClientTransport(http);
        }

        return o;
    }

    private static TokenCredential RequireCredential(TokenCredential? credential) =>
        credential ?? throw new ArgumentException(
            "The storage account has no key or SAS, so Entra ID authorization is used: pass a TokenCredential (e.g. ManagedIdentityCredential).",
            nameof(credential));
}
