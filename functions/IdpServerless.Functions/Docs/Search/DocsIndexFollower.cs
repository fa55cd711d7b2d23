using IdpServerless.Functions.Docs.Building;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Docs.Search;

/// <summary>
/// Fills this instance's <see cref="DocsSearchIndex"/> from the stored sites at start, then every
/// <see cref="DocsOptions.SyncInterval"/> re-reads the site indexes whose ETag changed (builds on other instances) and
/// drops sites that were deleted.
/// </summary>
public sealed partial class DocsIndexFollower(DocsStore store, DocsSearchIndex index, IOptions<DocsOptions> options, TimeProvider time, ILogger<DocsIndexFollower> logger) : BackgroundService
{
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes after the first load.</summary>
    public Task Loaded => _loaded.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = options.Value.SyncInterval;
        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var started = time.GetTimestamp();
                var loaded = await SyncAsync(stoppingToken).ConfigureAwait(false);
                if (first)
                {
                    first = false;
                    _loaded.TrySetResult();
                    LogLoaded(logger, index.SiteCount, time.GetElapsedTime(started).TotalMilliseconds);
                }
                else if (loaded > 0)
                {
                    LogFollowed(logger, loaded);
                }

                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IdpServerless.Storage.StorageException or HttpRequestException or TimeoutException or System.Text.Json.JsonException)
            {
                LogSyncFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One pass; returns how many sites were (re)loaded.</summary>
    public async Task<int> SyncAsync(CancellationToken ct)
    {
        var held = index.Sites();
        var listed = await store.ListSitesAsync(ct).ConfigureAwait(false);
        var heldTags = held.ToDictionary(h => DocsStore.SiteBlob(h.Key), h => h.Value.ETag, StringComparer.Ordinal);
        var changed = listed.Where(b => heldTags.GetValueOrDefault(b.Name) != b.ETag).ToList();
        var loaded = 0;
        await Parallel.ForEachAsync(changed, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (blob, token) =>
        {
            if (await store.ReadSiteBlobAsync(blob.Name, token).ConfigureAwait(false) is not { } site)
            {
                return;
            }

            var pages = new List<(string, DocPage)>();
            foreach (var path in site.AllPages)
            {
                if (await store.GetPageAsync(site.EntityRef, path, token).ConfigureAwait(false) is { } page)
                {
                    pages.Add((path, page));
                }
            }

            index.Put(site, blob.ETag, pages);
            Interlocked.Increment(ref loaded);
        }).ConfigureAwait(false);

        var names = listed.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in held.Keys.Where(r => !names.Contains(DocsStore.SiteBlob(r))))
        {
            index.Remove(gone);
        }

        return loaded;
    }

    [LoggerMessage(EventId = 6030, Level = LogLevel.Information, Message = "Docs search index loaded: {Sites} sites in {Milliseconds:0} ms")]
    private static partial void LogLoaded(ILogger logger, int sites, double milliseconds);

    [LoggerMessage(EventId = 6031, Level = LogLevel.Debug, Message = "Docs search index: {Sites} sites built elsewhere reloaded")]
    private static partial void LogFollowed(ILogger logger, int sites);

    [LoggerMessage(EventId = 6032, Level = LogLevel.Warning, Message = "Reading stored docs sites failed; will retry")]
    private static partial void LogSyncFailed(ILogger logger, Exception e);
}
