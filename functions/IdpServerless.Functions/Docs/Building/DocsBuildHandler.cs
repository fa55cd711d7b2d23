using IdpServerless.Functions.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using System.Text.Json;
using IdpServerless.Functions.Docs.Sources;
using IdpServerless.Hosting.Functions;

namespace IdpServerless.Functions.Docs.Building;

/// <summary>The <c>docs-build</c> queue function: builds the site of the entity the message names.</summary>
public sealed partial class DocsBuildHandler(FunctionInvoker invoker, IDocsEntities entities, BuildDocsSite build, ILogger<DocsBuildHandler> logger) : IQueueHandler
{
    public const string FunctionName = "DocsBuild";

    /// <summary>The queue-triggered function (the host's Storage Queues trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    [QueueHandling(MaxDequeueCount = 3, MaxConcurrency = 2, VisibilityTimeoutSeconds = 120)]
    public Task RunAsync([QueueTrigger("%" + FunctionSettings.DocsBuildQueue + "%")] Azure.Storage.Queues.Models.QueueMessage message, CancellationToken cancellationToken) =>
        invoker.RunQueueAsync(FunctionName, message, this, cancellationToken);

    public async Task HandleAsync(QueueMessageContext message, CancellationToken cancellationToken)
    {
        var request = message.Read(body => JsonSerializer.Deserialize<DocsBuildRequest>(body, JsonSerializerOptions.Web), "The docs-build message");
        if (request.EntityRef is not { } entityRef || DocsKeys.Split(entityRef) is not var (kind, ns, name))
        {
            throw new PoisonMessageException("The docs-build message needs entityRef of the form kind:namespace/name.");
        }

        var entity = await entities.FindAsync(kind, ns, name, cancellationToken).ConfigureAwait(false);
        if (entity is null || !DocsSourceResolver.HasDocs(entity))
        {
            LogSkipped(logger, entityRef);
            return;
        }

        try
        {
            await build.BuildAsync(entity, cancellationToken).ConfigureAwait(false);
        }
        catch (DocsSourceException e)
        {
            throw new PoisonMessageException($"The docs of {entityRef} cannot be built: {e.Message}", e);
        }
    }

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Docs build of {EntityRef} skipped: the entity is gone or has no techdocs-ref")]
    private static partial void LogSkipped(ILogger logger, string entityRef);
}
