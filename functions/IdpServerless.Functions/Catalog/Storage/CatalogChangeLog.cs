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
    private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);
    private long _position;

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

    /// <summary>The first full load (retried until storage answers).</summary>
    private async Task LoadAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                var started = time.GetUtcNow();
                await store.EnsureTablesAsync(ct).ConfigureAwait(false);
                _position = (started - Overlap).UtcTicks;
                locations.Replace(await store.LoadLocationsAsync(ct).ConfigureAwait(false));
                var entities = await store.LoadAllAsync(ct).ConfigureAwait(false);
                index.Apply(entities, []);
                index.MarkReady();
                LogLoaded(logger, entities.Count, locations.All.Count, (time.GetUtcNow() - started).TotalMilliseconds);
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

    /// <summary>Reads new change rows and applies the ones other instances wrote.</summary>
    public async Task FollowAsync(CancellationToken ct)
    {
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
            return;
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
        LogFollowed(logger, upserts.Count, deletes.Count);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Catalog loaded: {Entities} entities, {Locations} locations in {Milliseconds:0} ms")]
    private static partial void LogLoaded(ILogger logger, int entities, int locations, double milliseconds);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Catalog load failed; retrying in {Seconds:0.##} s")]
    private static partial void LogLoadFailed(ILogger logger, Exception e, double seconds);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Following the catalog change log failed; will retry")]
    private static partial void LogFollowFailed(ILogger logger, Exception e);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "Applied changes from other instances: {Upserts} upserted, {Deletes} deleted")]
    private static partial void LogFollowed(ILogger logger, int upserts, int deletes);
}
