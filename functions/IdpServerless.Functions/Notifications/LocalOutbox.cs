using System.Globalization;
using IdpServerless.Functions.Notifications.Senders;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Notifications;

/// <summary>One notification as the local outbox shows it.</summary>
public sealed record OutboxEntry(string DeliveryId, DateTimeOffset At, string EventType, string Channel, string Title, string Text, string? Component, string? Environment, string Subject, string Severity);

/// <summary>
/// The local provider: deliveries are written to the <c>notificationoutbox</c> table (newest first) instead of leaving the
/// machine, and read back by <c>GET /api/notifications/outbox</c> for the browser app. The row key is derived from the
/// delivery, so a repeated delivery overwrites its own row.
/// </summary>
public sealed class LocalOutbox(StorageOnce storage) : INotificationSender
{
    public const string TableName = "notificationoutbox";
    private const string Partition = "outbox";

    public string ChannelType => ChannelTypes.Local;

    public async Task SendAsync(DeliveryMessage delivery, RenderedNotification message, CancellationToken ct)
    {
        var table = await storage.TableAsync(TableName, ct);
        var n = delivery.Notification;
        var inverted = (DateTimeOffset.MaxValue.UtcTicks - n.OccurredAt.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);
        await table.UpsertEntityAsync(new TableEntity(Partition, inverted + "-" + TableKeys.Escape(delivery.DeliveryId))
        {
            ["DeliveryId"] = delivery.DeliveryId,
            ["At"] = n.OccurredAt,
            ["EventType"] = n.Event.Type,
            ["Channel"] = delivery.Channel.Describe(),
            ["Title"] = Trim(message.Title),
            ["Text"] = Trim(message.Text),
            ["Component"] = n.Event.Component,
            ["Environment"] = n.Event.Environment,
            ["Subject"] = n.Event.Subject,
            ["Severity"] = n.Event.Severity,
        }, ct: ct);
    }

    public async Task<IReadOnlyList<OutboxEntry>> ListAsync(int limit, CancellationToken ct)
    {
        var table = await storage.TableAsync(TableName, ct);
        var page = await table.QueryPageAsync(TableFilter.Eq("PartitionKey", Partition), top: limit, ct: ct);
        return [.. page.Items.Select(r => new OutboxEntry(
            r.GetString("DeliveryId") ?? r.RowKey, r.GetDateTimeOffset("At") ?? default, r.GetString("EventType") ?? string.Empty,
            r.GetString("Channel") ?? string.Empty, r.GetString("Title") ?? string.Empty, r.GetString("Text") ?? string.Empty,
            r.GetString("Component"), r.GetString("Environment"), r.GetString("Subject") ?? string.Empty, r.GetString("Severity") ?? "info"))];
    }

    private static string Trim(string s) => s.Length > 8000 ? s[..8000] : s;
}
