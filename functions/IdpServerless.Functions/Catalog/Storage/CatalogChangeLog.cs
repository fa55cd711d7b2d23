using IdpServerless.Functions.Catalog.Index;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Catalog.Storage;

/// <summary>
/// Keeps every app instance's in-memory catalog current: writers append "these refs/locations changed" rows to the
/// <c>catalogchanges</c> table; each instance loads everything at start, then polls the log (every
/// <see cref="CatalogOptions.ChangeFeedInterval"/>) and re-reads the rows others changed. Reads overlap by
/// <see cref="Overlap"/> so a row committed late, or by an instance whose clock is a little behind, is still seen.
/// </summary>
public sealed partial class CatalogChangeLog(
    CatalogStore store,
    CatalogIndex index,
    LocationRegistry locations,
    TimeProvider time,
    IOptions<CatalogOptions> options,
    ILogger<CatalogChangeLog> logger) : BackgroundService
{
    public static readonly TimeSpan Overlap = TimeSpan.FromSeconds(10);

    /// <summary>Refs changed since a snapshot that a starting instance re-reads one by one at most (or a twentieth of the catalog).</summary>
    public const int MaxTailRefs = 2_000;
    private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);
    private long _position;
    private long _coveredUntil;

    /// <summary>
    /// UTC ticks before which every change row of other instances is in the index: the start of the last load or
    /// successful poll (a row committed before a read began is in that read). A snapshot records this position.
    /// </summary>
    public long CoveredUntil => Interlocked.Read(ref _coveredUntil);

    /// <summary>This instance's id in change rows (its own rows are skipped when following).</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N")[..12];

    public Task PublishAsync(IReadOnlyCollection<string> refs, IReadOnlyCollection<string> locationIds, CancellationToken ct) =>
        refs.Count == 0 && locationIds.Count == 0 ? Task.CompletedTask : store.AppendChangesAsync(InstanceId, time.GetUtcNow(), refs, locationIds, ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await LoadAsync(stoppingToken).ConfigureAwait(false);
        var lastPrune = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.ChangeFeedInterval, time, stoppingToken).ConfigureAwait(false);
                await FollowAsync(stoppingToken).ConfigureAwait(false);
                if (time.GetUtcNow() - lastPrune > TimeSpan.FromMinutes(5))
                {
                    lastPrune = time.GetUtcNow();
                    await store.PruneChangesAsync(lastPrune - options.Value.ChangeLogRetention, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IdpServerless.Storage.StorageException or HttpRequestException or TimeoutException)
            {
                LogFollowFailed(logger, e);
            }
        }
    }

    /// <summary>
    /// The first load (retried until storage answers): the snapshot and the change log's tail since, or, without a
    /// usable snapshot, every row. The index is marked ready only when either is complete.
    /// </summary>
    private async Task LoadAsync(CancellationToken ct)
    {
        if (options.Value.InitialLoadDelay > TimeSpan.Zero)
        {
            await Task.Delay(options.Value.InitialLoadDelay, time, ct).ConfigureAwait(false);
        }

        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                var started = time.GetUtcNow();
                await store.EnsureTablesAsync(ct).ConfigureAwait(false);
                if (await ReadSnapshotAsync(started, ct).ConfigureAwait(false) is { } snapshot
                    && await TailIsShortAsync(snapshot, ct).ConfigureAwait(false))
                {
                    locations.Replace(await store.LoadLocationsAsync(ct).ConfigureAwait(false));
                    index.Apply(snapshot.Entities, []);
                    var applied = time.GetUtcNow();
                    _position = snapshot.Position;
                    var tail = await FollowAsync(ct).ConfigureAwait(false);
                    index.MarkReady();
                    CatalogMemory.CompactAfterBulkChange(snapshot.Entities.Count);
                    LogLoadedFromSnapshot(logger, snapshot.Entities.Count, tail, locations.All.Count, (time.GetUtcNow() - started).TotalMilliseconds,
                        (applied - started).TotalMilliseconds, (started - snapshot.CreatedAt).TotalSeconds, ProcessCost());
                    return;
                }

                _position = (started - Overlap).UtcTicks;
                Interlocked.Exchange(ref _coveredUntil, started.UtcTicks);
                locations.Replace(await store.LoadLocationsAsync(ct).ConfigureAwait(false));
                var entities = await store.LoadAllAsync(ct).ConfigureAwait(false);
                index.Apply(entities, []);
                index.MarkReady();
                CatalogMemory.CompactAfterBulkChange(index.Count);
                LogLoaded(logger, entities.Count, locations.All.Count, (time.GetUtcNow() - started).TotalMilliseconds, ProcessCost());
                return;
            }
            catch (Exception e) when (e is IdpServerless.Storage.StorageException or HttpRequestException or TimeoutException)
            {
                LogLoadFailed(logger, e, delay.TotalSeconds);
                await Task.Delay(delay, time, ct).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    /// <summary>The snapshot when it is there, whole, of this format and young enough that its tail is still in the log.</summary>
    private async Task<CatalogSnapshotContent?> ReadSnapshotAsync(DateTimeOffset now, CancellationToken ct)
    {
        var bytes = await store.DownloadSnapshotAsync(ct).ConfigureAwait(false);
        if (bytes is null)
        {
            LogNoSnapshot(logger, store.SnapshotBlob);
            return null;
        }

        try
        {
            var snapshot = CatalogSnapshot.Decode(bytes);
            // Rows older than the retention are pruned: a snapshot that old has lost part of its tail.
            var oldestNeeded = new DateTimeOffset(snapshot.Position, TimeSpan.Zero) - Overlap;
            return oldestNeeded > now - options.Value.ChangeLogRetention + TimeSpan.FromMinutes(5)
                ? snapshot
                : throw new CatalogSnapshotException($"position {oldestNeeded:O} is older than the change log keeps");
        }
        catch (CatalogSnapshotException e)
        {
            LogSnapshotRejected(logger, store.SnapshotBlob, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Whether the refs changed since the snapshot are few enough to re-read one by one; when they are many (a snapshot
    /// from before a large ingest) the full load, which reads every partition in parallel, is faster.
    /// </summary>
    private async Task<bool> TailIsShortAsync(CatalogSnapshotContent snapshot, CancellationToken ct)
    {
        var refs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in await store.ReadChangesAsync(snapshot.Position - Overlap.Ticks, ct).ConfigureAwait(false))
        {
            refs.UnionWith(row.Refs);
        }

        var limit = Math.Max(MaxTailRefs, snapshot.Entities.Count / 20);
        if (refs.Count <= limit)
        {
            return true;
        }

        LogSnapshotRejected(logger, store.SnapshotBlob, $"{refs.Count} entities changed since it was written (more than {limit} to re-read one by one)");
        return false;
    }

    /// <summary>Reads new change rows and applies the ones other instances wrote; returns how many entities it re-read.</summary>
    public async Task<int> FollowAsync(CancellationToken ct)
    {
        var pollStarted = time.GetUtcNow().UtcTicks;
        var rows = await store.ReadChangesAsync(_position - Overlap.Ticks, ct).ConfigureAwait(false);
        var refs = new HashSet<string>(StringComparer.Ordinal);
        var locationIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var ticks = long.Parse(row.RowKey.AsSpan(0, 19), System.Globalization.CultureInfo.InvariantCulture);
            if (!_seen.TryAdd(row.RowKey, ticks))
            {
                continue;
            }

            _position = Math.Max(_position, ticks);
            if (row.Instance != InstanceId)
            {
                refs.UnionWith(row.Refs);
                locationIds.UnionWith(row.Locations);
            }
        }

        var horizon = _position - 3 * Overlap.Ticks;
        foreach (var old in _seen.Where(s => s.Value < horizon).Select(s => s.Key).ToList())
        {
            _seen.Remove(old);
        }

        foreach (var id in locationIds)
        {
            if (await store.GetLocationAsync(id, ct).ConfigureAwait(false) is { } location)
            {
                locations.Set(location);
            }
            else
            {
                locations.Remove(id);
            }
        }

        if (refs.Count == 0)
        {
            Interlocked.Exchange(ref _coveredUntil, pollStarted);
            return 0;
        }

        var upserts = new System.Collections.Concurrent.ConcurrentBag<Index.StoredEntity>();
        var deletes = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(refs, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (refKey, token) =>
        {
            if (await store.GetAsync(refKey, token).ConfigureAwait(false) is { } entity)
            {
                upserts.Add(entity);
            }
            else
            {
                deletes.Add(refKey);
            }
        }).ConfigureAwait(false);
        index.Apply([.. upserts], [.. deletes]);
        Interlocked.Exchange(ref _coveredUntil, pollStarted);
        CatalogMemory.CompactAfterBulkChange(refs.Count);
        LogFollowed(logger, upserts.Count, deletes.Count);
        return refs.Count;
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Catalog loaded: {Entities} entities, {Locations} locations in {Milliseconds:0} ms; {Process}")]
    private static partial void LogLoaded(ILogger logger, int entities, int locations, double milliseconds, string process);

    /// <summary>What the process has spent since it started (a first load is most of it): CPU, allocations and the GC's pauses.</summary>
    private static string ProcessCost() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"process so far: CPU {Environment.CpuUsage.TotalTime.TotalSeconds:0.0} s, {GC.GetTotalAllocatedBytes() / (1024.0 * 1024):0} MiB allocated, GC paused {GC.GetTotalPauseDuration().TotalMilliseconds:0} ms in {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} gen0/1/2 collections");

    [LoggerMessage(EventId = 3121, Level = LogLevel.Information, Message = "Catalog loaded from snapshot: {Entities} entities and a tail of {Tail} changed refs, {Locations} locations in {Milliseconds:0} ms (snapshot applied after {AppliedMs:0} ms; it was {AgeSeconds:0} s old); {Process}")]
    private static partial void LogLoadedFromSnapshot(ILogger logger, int entities, int tail, int locations, double milliseconds, double appliedMs, double ageSeconds, string process);

    [LoggerMessage(EventId = 3122, Level = LogLevel.Warning, Message = "Catalog snapshot {Blob} not used, loading from Table storage instead: {Reason}")]
    private static partial void LogSnapshotRejected(ILogger logger, string blob, string reason);

    [LoggerMessage(EventId = 3123, Level = LogLevel.Information, Message = "No catalog snapshot {Blob} yet: loading from Table storage")]
    private static partial void LogNoSnapshot(ILogger logger, string blob);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Catalog load failed; retrying in {Seconds:0.##} s")]
    private static partial void LogLoadFailed(ILogger logger, Exception e, double seconds);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Following the catalog change log failed; will retry")]
    private static partial void LogFollowFailed(ILogger logger, Exception e);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "Applied changes from other instances: {Upserts} upserted, {Deletes} deleted")]
    private static partial void LogFollowed(ILogger logger, int upserts, int deletes);
}
