using System.Collections.Concurrent;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using IdpServerless.Storage.Internal;

namespace IdpServerless.Storage;

/// <summary>
/// Entry point to one storage account over the Azure SDK (Azure.Data.Tables, Azure.Storage.Queues,
/// Azure.Storage.Blobs): hands out table, queue and container clients (cached per name, so asking twice is
/// cheap). Create one per application (a singleton); it is thread-safe. What it adds to the SDK: typed
/// exceptions (<see cref="StorageException"/> and subclasses), queue messages over 64 KiB through a blob,
/// batch limits checked before sending, and one pinned storage API version (see <c>SdkClients</c>).
/// </summary>
public sealed class StorageClient
{
    private readonly ConcurrentDictionary<string, TableClient> _tables = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, QueueClient> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BlobContainerClient> _containers = new(StringComparer.Ordinal);

    /// <param name="account">The account (from <see cref="StorageAccount.Parse"/>).</param>
    /// <param name="http">Optional HTTP client to send through (tests inject faults this way); the SDK's own otherwise.</param>
    /// <param name="credential">Entra ID credential, required when the account has neither key nor SAS.</param>
    /// <param name="time">Clock for payload bookkeeping.</param>
    /// <param name="options">Retries and timeouts.</param>
    public StorageClient(StorageAccount account, HttpClient? http = null, TokenCredential? credential = null, TimeProvider? time = null, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        options ??= new StorageClientOptions();
        Account = account;
        _credential = credential;
        _options = options;
        _http = http;
        Time = time ?? TimeProvider.System;
        TableService = SdkClients.Tables(account, options, http, credential);
        QueueService = SdkClients.Queues(account, options, http, credential);
        BlobService = SdkClients.Blobs(account, options, http, credential);
    }

    private readonly TokenCredential? _credential;
    private readonly StorageClientOptions _options;
    private readonly HttpClient? _http;

    public StorageAccount Account { get; }

    /// <summary>The SDK's table service client, for what this wrapper does not cover.</summary>
    public TableServiceClient TableService { get; }

    /// <summary>The SDK's queue service client (raw text encoding, pinned version).</summary>
    public QueueServiceClient QueueService { get; }

    /// <summary>The SDK's blob service client (pinned version).</summary>
    public BlobServiceClient BlobService { get; }

    internal TimeProvider Time { get; }

    /// <summary>
    /// Fresh service clients for a library that builds its own (DurableTask.AzureStorage): the same account,
    /// credential, retries and pinned API version as this client's. <c>New...Options</c> give options to start from.
    /// </summary>
    public TableServiceClient CreateTableService(TableClientOptions options) => SdkClients.Tables(Account, options, _credential);

    /// <inheritdoc cref="CreateTableService"/>
    public QueueServiceClient CreateQueueService(QueueClientOptions options) => SdkClients.Queues(Account, options, _credential);

    /// <inheritdoc cref="CreateTableService"/>
    public BlobServiceClient CreateBlobService(BlobClientOptions options) => SdkClients.Blobs(Account, options, _credential);

    /// <summary>Table options at the pinned API version with this client's retries and transport.</summary>
    public TableClientOptions NewTableOptions() => SdkClients.TableOptions(_options, _http);

    /// <summary>Queue options at the pinned API version with this client's retries and transport (message encoding left to the caller).</summary>
    public QueueClientOptions NewQueueOptions() => SdkClients.QueueOptions(_options, _http);

    /// <summary>Blob options at the pinned API version with this client's retries and transport.</summary>
    public BlobClientOptions NewBlobOptions() => SdkClients.BlobOptions(_options, _http);

    /// <summary>Client for table <paramref name="name"/> (3-63 letters/digits, starting with a letter).</summary>
    public TableClient GetTable(string name)
    {
        StorageNames.ValidateTable(name);
        return _tables.GetOrAdd(name, static (n, self) => new TableClient(self.TableService.GetTableClient(n), self.Account, n), this);
    }

    /// <summary>Client for queue <paramref name="name"/> (3-63 lowercase letters, digits, single hyphens).</summary>
    public QueueClient GetQueue(string name)
    {
        StorageNames.ValidateQueueOrContainer(name, "queue");
        return _queues.GetOrAdd(name, static (n, self) => new QueueClient(self, self.QueueService.GetQueueClient(n), n), this);
    }

    /// <summary>Client for blob container <paramref name="name"/> (3-63 lowercase letters, digits, single hyphens).</summary>
    public BlobContainerClient GetContainer(string name)
    {
        StorageNames.ValidateQueueOrContainer(name, "container");
        return _containers.GetOrAdd(name, static (n, self) => new BlobContainerClient(self.BlobService.GetBlobContainerClient(n), self.Account, n), this);
    }
}
