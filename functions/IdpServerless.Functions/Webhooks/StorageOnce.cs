using System.Collections.Concurrent;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Webhooks;

/// <summary>
/// Creates the tables and queues the event features use once per process, on first use, so a fresh storage account
/// (or Azurite) needs no setup step.
/// </summary>
public sealed class StorageOnce(StorageClient storage)
{
    private readonly ConcurrentDictionary<string, Task> _created = new(StringComparer.Ordinal);

    public StorageClient Storage => storage;

    public async Task<TableClient> TableAsync(string name, CancellationToken cancellationToken)
    {
        var table = storage.GetTable(name);
        await EnsureAsync("t:" + name, () => table.CreateIfNotExistsAsync(CancellationToken.None), cancellationToken);
        return table;
    }

    public async Task<QueueClient> QueueAsync(string name, CancellationToken cancellationToken)
    {
        var queue = storage.GetQueue(name);
        await EnsureAsync("q:" + name, () => queue.CreateIfNotExistsAsync(CancellationToken.None), cancellationToken);
        return queue;
    }

    private async Task EnsureAsync(string key, Func<Task> create, CancellationToken cancellationToken)
    {
        var task = _created.GetOrAdd(key, _ => create());
        try
        {
            await task.WaitAsync(cancellationToken);
        }
        catch when (task.IsFaulted)
        {
            // A failed creation is not remembered: the next caller tries again.
            _created.TryRemove(new KeyValuePair<string, Task>(key, task));
            throw;
        }
    }
}
