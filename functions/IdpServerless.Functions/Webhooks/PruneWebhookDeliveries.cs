using Microsoft.Azure.Functions.Worker;
using System.Globalization;
using IdpServerless.Hosting.Functions;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Webhooks;

/// <summary>
/// Daily, deletes the delivery ids kept for deduplication (<c>webhookdeliveries</c>) and the per-delivery effect records
/// (<c>webhookeffects</c>) older than <c>Webhooks:DeliveryRetentionDays</c> (default 7: GitHub and GitLab redeliver
/// within days, never weeks), so the tables do not grow with every push forever.
/// </summary>
public sealed partial class PruneWebhookDeliveries(FunctionInvoker invoker, StorageOnce storage, IConfiguration configuration, TimeProvider time, ILogger<PruneWebhookDeliveries> logger) : ITimerHandler
{
    public const string FunctionName = "PruneWebhookDeliveries";

    /// <summary>The timer-triggered function (the host's timer trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    public Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        invoker.RunTimerAsync(FunctionName, timer, this, cancellationToken);
    public const string Schedule = "0 30 3 * * *";

    public async Task HandleAsync(TimerContext timer, CancellationToken cancellationToken)
    {
        var days = int.TryParse(configuration["Webhooks:DeliveryRetentionDays"], CultureInfo.InvariantCulture, out var d) && d > 0 ? d : 7;
        var cutoff = time.GetUtcNow().AddDays(-days);
        foreach (var name in new[] { ReceiveWebhook.DeliveriesTable, ProcessWebhook.EffectsTable })
        {
            var deleted = await PruneAsync(await storage.TableAsync(name, cancellationToken), cutoff, cancellationToken);
            LogPruned(logger, deleted, name, days);
        }
    }

    /// <summary>Deletes the rows last written before <paramref name="cutoff"/>; returns how many.</summary>
    public static async Task<int> PruneAsync(TableClient table, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var filter = "Timestamp lt datetime'" + cutoff.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) + "'";
        var old = new List<(string Partition, string Row)>();
        await foreach (var row in table.QueryAsync(filter, select: ["PartitionKey", "RowKey"], ct: cancellationToken))
        {
            old.Add((row.PartitionKey, row.RowKey));
        }

        var deleted = 0;
        foreach (var (partition, rowKey) in old)
        {
            try
            {
                await table.DeleteEntityAsync(partition, rowKey, ct: cancellationToken);
                deleted++;
            }
            catch (StorageNotFoundException)
            {
                // Another instance pruned it first.
            }
        }

        return deleted;
    }

    [LoggerMessage(EventId = 7301, Level = LogLevel.Information, Message = "Pruned {Count} rows older than {Days} days from {Table}")]
    private static partial void LogPruned(ILogger logger, int count, string table, int days);
}
