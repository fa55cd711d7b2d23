using IdpServerless.Functions.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using IdpServerless.Functions.Docs.Search;
using IdpServerless.Functions.Docs.Sources;
using IdpServerless.Hosting.Functions;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Docs.Building;

/// <summary>
/// The <c>DocsRefresh</c> timer: queues a build for every entity with docs whose site is missing, was built from an
/// older version of the entity (the catalog refreshed it with changes), or is older than <see cref="DocsOptions.RebuildAfter"/>
/// (the docs may have changed in the repository without the entity changing). At most
/// <see cref="DocsOptions.MaxBuildsPerRefresh"/> per run, so a large catalog's backlog is built over several runs
/// instead of flooding the instance.
/// </summary>
public sealed partial class DocsRefreshHandler(FunctionInvoker invoker, 
    IDocsEntities entities,
    DocsSearchIndex index,
    DocsBuildQueue queue,
    IOptions<DocsOptions> options,
    TimeProvider time,
    ILogger<DocsRefreshHandler> logger) : ITimerHandler
{
    public const string FunctionName = "DocsRefresh";

    /// <summary>The timer-triggered function (the host's timer trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    public Task RunAsync([TimerTrigger("%" + FunctionSettings.DocsRefreshSchedule + "%")] TimerInfo timer, CancellationToken cancellationToken) =>
        invoker.RunTimerAsync(FunctionName, timer, this, cancellationToken);

    public async Task HandleAsync(TimerContext timer, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var limit = Math.Max(1, options.Value.MaxBuildsPerRefresh);
        // Missing sites first (nobody can read them yet), then sites of changed entities, then the oldest sites.
        var stale = new List<(int Rank, DateTimeOffset BuiltAt, DocsEntity Entity)>();
        foreach (var entity in await entities.WithDocsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!DocsSourceResolver.HasDocs(entity))
            {
                continue;
            }

            var site = index.GetSite(entity.Ref)?.Site;
            if (site is null)
            {
                stale.Add((0, DateTimeOffset.MinValue, entity));
            }
            else if (site.EntityFingerprint != entity.Fingerprint)
            {
                stale.Add((1, site.BuiltAt, entity));
            }
            else if (now - site.BuiltAt > options.Value.RebuildAfter)
            {
                stale.Add((2, site.BuiltAt, entity));
            }
        }

        var queued = 0;
        var waiting = 0;
        foreach (var (_, _, entity) in stale.OrderBy(s => s.Rank).ThenBy(s => s.BuiltAt).ThenBy(s => s.Entity.Ref, StringComparer.Ordinal))
        {
            if (queued >= limit)
            {
                waiting++;
            }
            else if (await queue.EnqueueOnceAsync(entity.Ref, entity.Fingerprint, cancellationToken).ConfigureAwait(false))
            {
                queued++;
            }
        }

        if (queued > 0)
        {
            LogQueued(logger, queued, waiting);
        }
    }

    [LoggerMessage(EventId = 6020, Level = LogLevel.Information, Message = "Queued {Count} docs builds for new, changed or old sites; {Waiting} more wait for the next refresh")]
    private static partial void LogQueued(ILogger logger, int count, int waiting);
}
