using System.Globalization;
using IdpServerless.Durable.Operability;
using IdpServerless.Durable.Storage;
using IdpServerless.Storage;

namespace IdpServerless.Durable.Dispatch;

/// <summary>
/// Which control-queue partitions this process reads (standalone mode). Each partition has a blob lease; live
/// workers announce themselves in <c>{hub}Workers</c>, and each takes a fair share (workers sorted by id, the first
/// <c>P mod W</c> take one extra). A crashed worker's leases expire and its partitions move to the others.
/// </summary>
internal sealed class PartitionManager(TaskHub hub, TimeProvider time, ILogger logger)
{
    private readonly Dictionary<int, string> _leases = [];

    public string WorkerId { get; } = TaskHub.WorkerName + ":" + Guid.NewGuid().ToString("N")[..8];

    public IReadOnlyCollection<int> Owned => _leases.Keys;

    private TimeSpan Alive => hub.Options.PartitionLeaseDuration;

    /// <summary>One round: heartbeat, renew, then release or acquire towards the fair share. Returns (acquired, lost).</summary>
    public async Task<(List<int> Acquired, List<int> Lost)> BalanceAsync(Func<int, Task> beforeRelease, CancellationToken ct)
    {
        var acquired = new List<int>();
        var lost = new List<int>();
        var now = time.GetUtcNow();
        await HeartbeatAsync(now, ct).ConfigureAwait(false);

        foreach (var (partition, lease) in _leases.ToList())
        {
            try
            {
                await hub.Leases.RenewLeaseAsync(BlobName(partition), lease, ct).ConfigureAwait(false);
            }
            catch (StorageException e) when (e.Status is 409 or 412 or 404)
            {
                _leases.Remove(partition);
                lost.Add(partition);
                Logs.PartitionReleased(logger, WorkerId, partition, "lease lost");
            }
        }

        var workers = new List<string>();
        await foreach (var w in hub.Workers.QueryAsync(TableFilter.Eq("PartitionKey", "w"), ct: ct).ConfigureAwait(false))
        {
            if (w.GetDateTimeOffset("LastSeen") is { } seen && now - seen < Alive)
            {
                workers.Add(w.RowKey);
            }
        }

        workers.Sort(StringComparer.Ordinal);
        var index = Math.Max(0, workers.IndexOf(WorkerId));
        var count = Math.Max(1, workers.Count);
        var partitions = hub.Options.PartitionCount;
        var target = (partitions / count) + (index < partitions % count ? 1 : 0);

        foreach (var partition in _leases.Keys.OrderDescending().Take(Math.Max(0, _leases.Count - target)).ToList())
        {
            await beforeRelease(partition).ConfigureAwait(false);
            await ReleaseAsync(partition, "rebalancing", ct).ConfigureAwait(false);
        }

        for (var p = 0; p < partitions && _leases.Count < target; p++)
        {
            if (_leases.ContainsKey(p))
            {
                continue;
            }

            var lease = await hub.Leases.TryAcquireLeaseAsync(BlobName(p), hub.Options.PartitionLeaseDuration, ct).ConfigureAwait(false);
            if (lease is not null)
            {
                _leases[p] = lease;
                acquired.Add(p);
                Logs.PartitionAcquired(logger, WorkerId, p);
            }
        }

        await HeartbeatAsync(time.GetUtcNow(), ct).ConfigureAwait(false);

        return (acquired, lost);
    }

    /// <summary>Announces this worker and the partitions it reads (operators and tests can see the spread).</summary>
    private Task HeartbeatAsync(DateTimeOffset now, CancellationToken ct) =>
        hub.Workers.UpsertEntityAsync(new TableEntity("w", WorkerId)
        {
            ["LastSeen"] = now,
            ["Partitions"] = string.Join(",", _leases.Keys.Order()),
            ["ProcessId"] = Environment.ProcessId,
        }, ct: ct);

    public async Task ReleaseAsync(int partition, string why, CancellationToken ct)
    {
        if (!_leases.Remove(partition, out var lease))
        {
            return;
        }

        try
        {
            await hub.Leases.ReleaseLeaseAsync(BlobName(partition), lease, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StorageException or HttpRequestException)
        {
            // It expires by itself.
        }

        Logs.PartitionReleased(logger, WorkerId, partition, why);
    }

    /// <summary>Leaves: releases every lease and removes the heartbeat, so others take over at once.</summary>
    public async Task LeaveAsync(CancellationToken ct)
    {
        foreach (var p in _leases.Keys.ToList())
        {
            await ReleaseAsync(p, "shutting down", ct).ConfigureAwait(false);
        }

        try
        {
            await hub.Workers.DeleteEntityAsync("w", WorkerId, ct: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StorageException or HttpRequestException)
        {
            // Its heartbeat goes stale by itself.
        }
    }

    private static string BlobName(int partition) => "control-" + partition.ToString("D2", CultureInfo.InvariantCulture);
}
