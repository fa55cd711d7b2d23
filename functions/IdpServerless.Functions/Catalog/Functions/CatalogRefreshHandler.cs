using IdpServerless.Functions.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using System.Text.Json;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Hosting.Functions;

namespace IdpServerless.Functions.Catalog.Functions;

/// <summary>
/// Queue function <c>CatalogRefresh</c> on <c>catalog-refresh</c>: refreshes one location now. Webhooks and
/// <c>POST /refresh</c> send <c>{"locationId": "..."}</c> or <c>{"target": "..."}</c>; a target may be a registered
/// location (<c>type:target</c> or the bare target) or any file a location reads (its entities'
/// <c>backstage.io/managed-by-location</c>), and every location concerned is refreshed. A target nobody registered is
/// not an error (webhooks fire for every repository).
/// </summary>
public sealed partial class CatalogRefreshHandler(FunctionInvoker invoker, CatalogService service, CatalogIndex index, LocationRegistry locations, ILogger<CatalogRefreshHandler> logger) : IQueueHandler
{
    public const string FunctionName = "CatalogRefresh";
    public const string QueueName = "catalog-refresh";

    /// <summary>The queue-triggered function (the host's Storage Queues trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    [QueueHandling(MaxDequeueCount = 3, MaxConcurrency = 2, VisibilityTimeoutSeconds = 300)]
    public Task RunAsync([QueueTrigger("%" + FunctionSettings.CatalogRefreshQueue + "%")] Azure.Storage.Queues.Models.QueueMessage message, CancellationToken cancellationToken) =>
        invoker.RunQueueAsync(FunctionName, message, this, cancellationToken);

    public async Task HandleAsync(QueueMessageContext message, CancellationToken cancellationToken)
    {
        // Some senders wrap the JSON in a JSON string; both forms are accepted.
        var request = message.Read(
            body => JsonSerializer.Deserialize<RefreshMessage>(body.TrimStart().StartsWith('"') ? JsonSerializer.Deserialize<string>(body) ?? "null" : body, JsonSerializerOptions.Web),
            "The refresh message");

        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (!string.IsNullOrWhiteSpace(request.LocationId))
        {
            ids.Add(request.LocationId);
        }
        else if (!string.IsNullOrWhiteSpace(request.Target))
        {
            var target = request.Type is { Length: > 0 } type ? $"{type}:{request.Target}" : request.Target;
            foreach (var l in locations.All)
            {
                if (l.Spec.ToString() == target || l.Target == target)
                {
                    ids.Add(l.Id);
                }
            }

            foreach (var r in index.Where(r => r.Stored.LocationId is not null && r.Annotations.TryGetValue(CatalogAnnotations.ManagedByLocation, out var m) && (m == target || m.EndsWith(":" + target, StringComparison.Ordinal))))
            {
                ids.Add(r.Stored.LocationId!);
            }
        }
        else
        {
            throw new PoisonMessageException("The refresh message needs locationId or target.");
        }

        foreach (var id in ids)
        {
            if (await service.RefreshAsync(id, cancellationToken).ConfigureAwait(false) is null)
            {
                LogUnknown(logger, id);
            }
        }

        if (ids.Count == 0)
        {
            LogNothing(logger, request.Target ?? string.Empty);
        }
    }

    private sealed record RefreshMessage(string? LocationId, string? Target, string? Type);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Refresh asked for location {LocationId}, which is not registered")]
    private static partial void LogUnknown(ILogger logger, string locationId);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Debug, Message = "Refresh asked for {Target}; no registered location reads it")]
    private static partial void LogNothing(ILogger logger, string target);
}

/// <summary>Timer function <c>CatalogRefreshAll</c>: refreshes every location and reports stale entities.</summary>
public sealed class CatalogRefreshAllHandler(FunctionInvoker invoker, CatalogService service) : ITimerHandler
{
    public const string FunctionName = "CatalogRefreshAll";

    /// <summary>The timer-triggered function (the host's timer trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    public Task RunAsync([TimerTrigger("%" + FunctionSettings.CatalogRefreshSchedule + "%")] TimerInfo timer, CancellationToken cancellationToken) =>
        invoker.RunTimerAsync(FunctionName, timer, this, cancellationToken);

    public Task HandleAsync(TimerContext timer, CancellationToken cancellationToken) => service.RefreshAllAsync(cancellationToken);
}
