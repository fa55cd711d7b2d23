using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Storage;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Catalog.Storage;

/// <summary>
/// Index snapshots in a blob, so a new instance starts from one download instead of reading every entity row: the
/// current instance (the holder of a lease on <c>&lt;entities table&gt;.snapshot.lock</c>, renewed while it lives) writes the whole
/// catalog with the change-log position it covers after the catalog changed and then stayed quiet for
/// <see cref="CatalogOptions.SnapshotQuietPeriod"/> (or at the latest <see cref="CatalogOptions.SnapshotMaxAge"/>
/// after a change); a starting instance reads it, verifies it, applies it and then the change log's tail since. A
/// blob is replaced in one commit, so readers see the old snapshot or the new one, never a mix. Reading is
/// <see cref="CatalogChangeLog"/>'s first step.
/// </summary>
public sealed partial class CatalogSnapshots(
    CatalogStore store,
    CatalogIndex index,
    CatalogChangeLog changes,
    TimeProvider time,
    IOptions<CatalogOptions> options,
    ILogger<CatalogSnapshots> logger) : BackgroundService
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);
    private string? _leaseId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SnapshotInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        // The lease lasts 60 s: renew it well within that, whatever the snapshot interval.
        var tick = interval < TimeSpan.FromSeconds(20) ? interval : TimeSpan.FromSeconds(20);
        try
        {
            await index.Ready.WaitAsync(stoppingToken).ConfigureAwait(false);
            var written = -1L;
            var writtenAt = DateTimeOffset.MinValue;
            var seen = index.Version;
            var changedAt = time.GetUtcNow();
            DateTimeOffset? pendingSince = null;
            var lastTry = DateTimeOffset.MinValue;
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(tick, time, stoppingToken).ConfigureAwait(false);
                var now = time.GetUtcNow();
                var version = index.Version;
                if (version != seen)
                {
                    seen = version;
                    changedAt = now;
                    pendingSince ??= now;
                }

                try
                {
                    if (!await HoldLeaseAsync(stoppingToken).ConfigureAwait(false))
                    {
                        written = -1; // another instance writes; if it goes, this one starts from a fresh snapshot
                        continue;
                    }

                    if ((written == -1 || now - writtenAt >= options.Value.ChangeLogRetention / 2) && pendingSince is null)
                    {
                        // Newly current, or the snapshot nears the age where its tail leaves the change log: write
                        // again even though nothing changed.
                        pendingSince = now;
                    }

                    var quiet = now - changedAt >= options.Value.SnapshotQuietPeriod;
                    var overdue = pendingSince is { } since && now - since >= options.Value.SnapshotMaxAge;
                    if (pendingSince is not null && (quiet || overdue) && now - lastTry >= interval)
                    {
                        lastTry = now;
                        written = await WriteAsync(stoppingToken).ConfigureAwait(false);
                        writtenAt = now;
                        pendingSince = index.Version == written ? null : now;
                    }
                }
                catch (Exception e) when (e is StorageException or HttpRequestException or TimeoutException)
                {
                    LogSnapshotWriteFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (_leaseId is { } lease)
            {
                try
                {
                    await store.ReleaseSnapshotLeaseAsync(lease, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is StorageException or HttpRequestException)
                {
                    // It expires within a minute on its own.
                }
            }
        }
    }

    /// <summary>Writes the snapshot now (the caller holds the lease) and returns the index version it holds.</summary>
    public async Task<long> WriteAsync(CancellationToken ct)
    {
        var started = time.GetTimestamp();
        // Every change-log row before this position is in the index by now: rows the follower had read when its last
        // poll began, and this instance's own writes, which reach the index before their row is appended.
        var position = Math.Min(time.GetUtcNow().UtcTicks, changes.CoveredUntil);
        var (entities, version) = index.Capture();
        var bytes = CatalogSnapshot.Encode(entities, position, time.GetUtcNow());
        await store.UploadSnapshotAsync(bytes, ct).ConfigureAwait(false);
        LogSnapshotWritten(logger, entities.Count, bytes.Length / 1048576.0, time.GetElapsedTime(started).TotalMilliseconds);
        return version;
    }

    private async Task<bool> HoldLeaseAsync(CancellationToken ct)
    {
        _leaseId = await store.HoldSnapshotLeaseAsync(_leaseId, LeaseDuration, ct).ConfigureAwait(false);
        return _leaseId is not null;
    }

    [LoggerMessage(EventId = 3124, Level = LogLevel.Information, Message = "Catalog snapshot written: {Entities} entities, {MiB:0.0} MiB in {Milliseconds:0} ms")]
    private static partial void LogSnapshotWritten(ILogger logger, int entities, double miB, double milliseconds);

    [LoggerMessage(EventId = 3125, Level = LogLevel.Warning, Message = "Writing the catalog snapshot failed; will retry")]
    private static partial void LogSnapshotWriteFailed(ILogger logger, Exception e);
}
