using IdpServerless.Functions.Docs.Search;
using IdpServerless.Functions.Docs.Sources;

namespace IdpServerless.Functions.Docs.Building;

/// <summary>Another build of the same site holds its lock; try again shortly.</summary>
public sealed class DocsBuildBusyException(string entityRef) : Exception($"A build of {entityRef}'s docs is already running.");

/// <summary>
/// The one build use case, shared by the queue function, the on-demand endpoint and the first read: read the entity's
/// docs tree, render it, store it, and put it in this instance's search index. One build per site at a time (blob lease).
/// </summary>
public sealed partial class BuildDocsSite(
    DocsSourceResolver resolver,
    DocsSiteBuilder builder,
    DocsStore store,
    DocsSearchIndex index,
    TimeProvider time,
    ILogger<BuildDocsSite> logger)
{
    /// <summary>Builds and stores the site; <see cref="DocsSourceException"/> when the source is unusable, <see cref="DocsBuildBusyException"/> when another build runs.</summary>
    public async Task<DocsSite> BuildAsync(DocsEntity entity, CancellationToken ct)
    {
        var lease = await store.TryLockAsync(entity.Ref, ct).ConfigureAwait(false) ?? throw new DocsBuildBusyException(entity.Ref);
        var started = time.GetTimestamp();
        try
        {
            var source = await resolver.OpenAsync(entity, ct).ConfigureAwait(false);
            var built = await builder.BuildAsync(entity, source, ct).ConfigureAwait(false);
            var etag = await store.SaveAsync(built, ct).ConfigureAwait(false);
            index.Put(built.Site, etag, built.Pages.Select(p => (p.Key, p.Value)));
            LogBuilt(logger, entity.Ref, built.Pages.Count, built.Assets.Count, source.Description, time.GetElapsedTime(started).TotalMilliseconds);
            return built.Site;
        }
        catch (DocsSourceException e)
        {
            LogSourceRejected(logger, entity.Ref, e.Message);
            throw;
        }
        finally
        {
            try
            {
                await store.UnlockAsync(entity.Ref, lease, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IdpServerless.Storage.StorageException e)
            {
                // The lease expires on its own within a minute.
                LogUnlockFailed(logger, e, entity.Ref);
            }
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Docs of {EntityRef} built: {Pages} pages, {Assets} assets from {Source} in {Milliseconds:0} ms")]
    private static partial void LogBuilt(ILogger logger, string entityRef, int pages, int assets, string source, double milliseconds);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Docs of {EntityRef} cannot be built: {Reason}")]
    private static partial void LogSourceRejected(ILogger logger, string entityRef, string reason);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Releasing the build lock of {EntityRef} failed")]
    private static partial void LogUnlockFailed(ILogger logger, Exception e, string entityRef);
}
