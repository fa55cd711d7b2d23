using System.Text.Json;
using IdpServerless.Functions.Docs.Sources;
using IdpServerless.Hosting.Functions;

namespace IdpServerless.Functions.Docs.Building;

/// <summary>The <c>docs-build</c> queue function: builds the site of the entity the message names.</summary>
public sealed partial class DocsBuildHandler(IDocsEntities entities, BuildDocsSite build, ILogger<DocsBuildHandler> logger) : IQueueHandler
{
    public const string FunctionName = "DocsBuild";

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
