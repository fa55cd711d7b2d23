using System.Collections.Concurrent;
using IdpServerless.Storage.Internal;

namespace IdpServerless.Storage;

/// <summary>
/// Entry point to one storage account: hands out table, queue and container clients (cached per name, so
/// asking twice is cheap). Create one per application (a singleton); it is thread-safe and shares the given
/// <see cref="HttpClient"/>, which should not redirect automatically and should have an infinite timeout
/// (per-attempt timeouts come from <see cref="StorageClientOptions.RequestTimeout"/>).
/// </summary>
public sealed class StorageClient
{
    private readonly ConcurrentDictionary<string, TableClient> _tables = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, QueueClient> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BlobContainerClient> _containers = new(StringComparer.Ordinal);

    public StorageClient(StorageAccount account, HttpClient http, IStorageTokenProvider? tokens = null, TimeProvider? time = null, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(http);
        Transport = new StorageTransport(account, http, tokens, time ?? TimeProvider.System, options ?? new StorageClientOptions());
    }

    public StorageAccount Account => Transport.Account;

    internal StorageTransport Transport { get; }

    /// <summary>Client for table <paramref name="name"/> (3-63 letters/digits, starting with a letter).</summary>
    public TableClient GetTable(string name)
    {
        StorageNames.ValidateTable(name);
        return _tables.GetOrAdd(name, static (n, self) => new TableClient(self.Transport, n), this);
    }

    /// <summary>Client for queue <paramref name="name"/> (3-63 lowercase letters, digits, single hyphens).</summary>
    public QueueClient GetQueue(string name)
    {
        StorageNames.ValidateQueueOrContainer(name, "queue");
        return _queues.GetOrAdd(name, static (n, self) => new QueueClient(self, n), this);
    }

    /// <summary>Client for blob container <paramref name="name"/> (3-63 lowercase letters, digits, single hyphens).</summary>
    public BlobContainerClient GetContainer(string name)
    {
        StorageNames.ValidateQueueOrContainer(name, "container");
        return _containers.GetOrAdd(name, static (n, self) => new BlobContainerClient(self.Transport, n), this);
    }
}
