using System.Collections.Concurrent;
using IdpServerless.Functions.Catalog.Api;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Ingestion;
using IdpServerless.Functions.Catalog.Storage;
using IdpServerless.Hosting.Problems;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Catalog;

/// <summary>The outcome of registering (or dry-running) a location.</summary>
public sealed record RegisterOutcome(LocationRecord Location, IReadOnlyList<ProcessedEntity> Entities, bool Exists);

/// <summary>
/// The catalog's use cases that change it: register, refresh and delete locations, delete entities. One refresh of a
/// given location runs at a time per instance; across instances, conditional writes keep entities whole and owned once.
/// </summary>
public sealed partial class CatalogService(
    LocationProcessor processor,
    LocationReader reader,
    CatalogWriter writer,
    CatalogStore store,
    CatalogIndex index,
    LocationRegistry locations,
    TimeProvider time,
    IOptions<CatalogOptions> options,
    ILogger<CatalogService> logger)
{
    private const int MaxReportedErrors = 100;
    private const int MaxReportedConflicts = 200;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>Waits (up to 30 s) until the first load from storage is done; 503 otherwise.</summary>
    public Task EnsureReadyAsync(CancellationToken ct) => index.EnsureReadyAsync(time, ct);

    /// <summary>
    /// Registers <paramref name="spec"/>: reads and validates everything it leads to first, and refuses (400/409/413)
    /// without writing anything when any file or entity is wrong, an entity is defined twice, or another location owns one.
    /// </summary>
    public async Task<RegisterOutcome> RegisterAsync(LocationSpec spec, bool dryRun, CancellationToken ct)
    {
        await EnsureReadyAsync(ct).ConfigureAwait(false);
        try
        {
            reader.Validate(spec);
        }
        catch (LocationReadException e)
        {
            throw CatalogProblems.Input(spec.Type is LocationSpec.File or LocationSpec.Url or LocationSpec.Git ? "target" : "type", e.Message, e.Status);
        }

        spec = spec.Type == LocationSpec.File ? spec with { Target = Path.GetFullPath(spec.Target) } : spec;
        var existing = locations.Find(spec.Type, spec.Target);
        if (existing is not null && !dryRun)
        {
            throw CatalogProblems.Conflict($"Location {spec} already exists (id {existing.Id}).");
        }

        var started = time.GetTimestamp();
        var result = await processor.ProcessAsync(spec, ct).ConfigureAwait(false);
        if (result.Problems.Count > 0)
        {
            throw CatalogProblems.FromProcessing(spec, result.Problems);
        }

        var processed = time.GetElapsedTime(started);

        var id = existing?.Id ?? Guid.NewGuid().ToString("D");
        var conflicts = writer.FindConflicts(id, result.Entities);
        if (conflicts.Count > 0)
        {
            throw CatalogProblems.Conflict(
                $"{conflicts.Count} entit{(conflicts.Count == 1 ? "y is" : "ies are")} already owned by another location: " +
                string.Join("; ", conflicts.Take(10).Select(c => $"{c.EntityRef} (location {c.ClaimedByTarget ?? c.ClaimedByLocationId})")));
        }

        var location = new LocationRecord(id, spec.Type, spec.Target, time.GetUtcNow());
        if (dryRun)
        {
            return new RegisterOutcome(existing ?? location, result.Entities, existing is not null);
        }

        if (await store.TryInsertLocationAsync(location, ct).ConfigureAwait(false) is { } owner)
        {
            throw CatalogProblems.Conflict($"Location {spec} already exists (id {owner}).");
        }

        await writer.PublishLocationAsync(location, location.Id, ct).ConfigureAwait(false);
        location = await ApplyAsync(location, result, ct).ConfigureAwait(false);
        LogRegistered(logger, location.Id, spec.ToString(), result.Entities.Count, processed.TotalMilliseconds, (time.GetElapsedTime(started) - processed).TotalMilliseconds);
        return new RegisterOutcome(location, result.Entities, false);
    }

    /// <summary>Reads the location again and stores what changed; problems and conflicts go on its status.</summary>
    public async Task<LocationRecord?> RefreshAsync(string locationId, CancellationToken ct)
    {
        await EnsureReadyAsync(ct).ConfigureAwait(false);
        var gate = _locks.GetOrAdd(locationId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var location = locations.Get(locationId) ?? await store.GetLocationAsync(locationId, ct).ConfigureAwait(false);
            if (location is null)
            {
                return null;
            }

            var result = await processor.ProcessAsync(location.Spec, ct).ConfigureAwait(false);
            return await ApplyAsync(location, result, ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Refreshes every location, one after another; a failing location does not stop the others.</summary>
    public async Task<int> RefreshAllAsync(CancellationToken ct)
    {
        await EnsureReadyAsync(ct).ConfigureAwait(false);
        var refreshed = 0;
        foreach (var location in locations.All)
        {
            try
            {
                await RefreshAsync(location.Id, ct).ConfigureAwait(false);
                refreshed++;
            }
            catch (Exception e) when (e is IdpServerless.Storage.StorageException or HttpRequestException or IOException)
            {
                LogRefreshFailed(logger, e, location.Id);
            }
        }

        var stale = Stale().Count;
        if (stale > 0)
        {
            LogStale(logger, stale, options.Value.StaleAfter);
        }

        return refreshed;
    }

    /// <summary>Removes the location; its entities stay, marked as orphans.</summary>
    public async Task<bool> DeleteLocationAsync(string id, CancellationToken ct)
    {
        await EnsureReadyAsync(ct).ConfigureAwait(false);
        var location = locations.Get(id) ?? await store.GetLocationAsync(id, ct).ConfigureAwait(false);
        if (location is null)
        {
            return false;
        }

        await store.DeleteLocationAsync(location, ct).ConfigureAwait(false);
        await writer.PublishLocationAsync(null, id, ct).ConfigureAwait(false);
        await writer.OrphanAllAsync(id, ct).ConfigureAwait(false);
        return true;
    }

    public async Task DeleteEntityAsync(EntityRecord record, CancellationToken ct) =>
        await writer.DeleteAsync(record.Stored, ct).ConfigureAwait(false);

    /// <summary>Entities not refreshed within <see cref="CatalogOptions.StaleAfter"/>, oldest first.</summary>
    public List<EntityRecord> Stale()
    {
        var cutoff = time.GetUtcNow() - options.Value.StaleAfter;
        return [.. index.Where(r => r.Stored.RefreshedAt < cutoff).OrderBy(r => r.Stored.RefreshedAt)];
    }

    private async Task<LocationRecord> ApplyAsync(LocationRecord location, ProcessingResult result, CancellationToken ct)
    {
        var report = await writer.ApplyAsync(location, result, ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var ok = result.Problems.Count == 0 && report.Conflicts.Count == 0;
        var updated = location with
        {
            LastRefreshAt = now,
            LastSuccessAt = result.Problems.Count == 0 ? now : location.LastSuccessAt,
            Status = ok ? "ok" : result.Problems.Count > 0 ? "error" : "conflict",
            Errors = [.. result.Problems.Take(MaxReportedErrors).Select(p => p.ToString())],
            Conflicts = [.. report.Conflicts.Take(MaxReportedConflicts)],
            EntityCount = result.Entities.Count - report.Conflicts.Count,
        };
        await store.UpdateLocationAsync(updated, ct).ConfigureAwait(false);
        await writer.PublishLocationAsync(updated, updated.Id, ct).ConfigureAwait(false);
        Index.CatalogMemory.CompactAfterBulkChange(report.Written + report.Orphaned);
        LogRefreshed(logger, location.Id, report.Written, report.Unchanged, report.Orphaned, report.Conflicts.Count, result.Problems.Count);
        return updated;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Location {LocationId} registered ({Target}): {Entities} entities read and validated in {ProcessMs:0} ms, stored and indexed in {StoreMs:0} ms")]
    private static partial void LogRegistered(ILogger logger, string locationId, string target, int entities, double processMs, double storeMs);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Location {LocationId} refreshed: {Written} written, {Unchanged} unchanged, {Orphaned} orphaned, {Conflicts} conflicts, {Problems} problems")]
    private static partial void LogRefreshed(ILogger logger, string locationId, int written, int unchanged, int orphaned, int conflicts, int problems);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Refreshing location {LocationId} failed")]
    private static partial void LogRefreshFailed(ILogger logger, Exception e, string locationId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "{Count} catalog entities have not been refreshed within {StaleAfter}")]
    private static partial void LogStale(ILogger logger, int count, TimeSpan staleAfter);
}
