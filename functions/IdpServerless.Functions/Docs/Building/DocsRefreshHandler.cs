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
/// (the docs may have changed in the repository without the entity changing).
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
        var queued = 0;
        foreach (var entity in await entities.WithDocsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!DocsSourceResolver.HasDocs(entity))
            {
                continue;
            }

            var site = index.GetSite(entity.Ref)?.Site;
            var stale = site is null || site.EntityFingerprint != entity.Fingerprint || now - site.BuiltAt > options.Value.RebuildAfter;
            if (stale && await queue.EnqueueOnceAsync(entity.Ref, entity.Fingerprint, cancellationToken).ConfigureAwait(false))
            {
                queued++;
            }
        }

        if (queued > 0)
        {
            LogQueued(logger, queued);
        }
    }

    [LoggerMessage(EventId = 6020, Level = LogLevel.Information, Message = "Queued {Count} docs builds for new, changed or old sites")]
    private static partial void LogQueued(ILogger logger, int count);
}
