using System.Globalization;
using System.Text;
using IdpServerless.Storage;
using Microsoft.Extensions.Options;

namespace IdpServerless.Durable.Storage;

/// <summary>
/// The storage layout of one task hub: <c>{hub}Instances</c> (one row per instance, for status and queries),
/// <c>{hub}History</c> (partition = instance, one row per episode with a zero-padded sequence as row key, plus a
/// <c>state</c> row whose ETag guards every append), control queues <c>{hub}-control-NN</c> (instance id hashed),
/// the work-item queue <c>{hub}-workitems</c>, blobs for large payloads in <c>{hub}-payloads</c> and partition
/// leases in <c>{hub}-leases</c>.
/// </summary>
internal sealed class TaskHub
{
    private readonly object _gate = new();
    private Task? _created;

    public TaskHub(StorageClient storage, IOptions<DurableOptions> options)
    {
        Storage = storage;
        Options = options.Value;
        Options.Validate();
        var hub = Options.TaskHub;
        Instances = storage.GetTable(hub + "Instances");
        History = storage.GetTable(hub + "History");
        Workers = storage.GetTable(hub + "Workers");
        WorkItems = storage.GetQueue(hub + "-workitems");
        ControlQueues = Enumerable.Range(0, Options.PartitionCount).Select(i => storage.GetQueue(ControlQueueName(hub, i))).ToArray();
        Payloads = storage.GetContainer(hub + "-payloads");
        Leases = storage.GetContainer(hub + "-leases");
    }

    public StorageClient Storage { get; }

    public DurableOptions Options { get; }

    public TableClient Instances { get; }

    public TableClient History { get; }

    public TableClient Workers { get; }

    public QueueClient WorkItems { get; }

    public IReadOnlyList<QueueClient> ControlQueues { get; }

    public BlobContainerClient Payloads { get; }

    public BlobContainerClient Leases { get; }

    /// <summary>Identity of this process in history rows and leases.</summary>
    public static string WorkerName { get; } = Environment.MachineName + ":" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    public static string ControlQueueName(string hub, int partition) => $"{hub}-control-{partition:D2}";

    public static string WorkItemQueueName(string hub) => hub + "-workitems";

    /// <summary>Stable partition of an instance (FNV-1a of its UTF-8 id: the same in every process and version).</summary>
    public int PartitionOf(string instanceId)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(instanceId))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return (int)(hash % (uint)Options.PartitionCount);
    }

    public QueueClient ControlQueueFor(string instanceId) => ControlQueues[PartitionOf(instanceId)];

    /// <summary>Creates tables, queues and containers once per process (cheap afterwards).</summary>
    public Task EnsureCreatedAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            // A failed attempt (storage not up yet) must not poison the process: the next call tries again.
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = CreateAsync();
            }

            return _created.WaitAsync(ct);
        }
    }

    private async Task CreateAsync()
    {
        var work = new List<Task>
        {
            Instances.CreateIfNotExistsAsync(),
            History.CreateIfNotExistsAsync(),
            Workers.CreateIfNotExistsAsync(),
            WorkItems.CreateIfNotExistsAsync(),
            Payloads.CreateIfNotExistsAsync(),
            Leases.CreateIfNotExistsAsync(),
        };
        work.AddRange(ControlQueues.Select(q => q.CreateIfNotExistsAsync()));
        await Task.WhenAll(work).ConfigureAwait(false);
    }
}
