using Microsoft.Azure.Functions.Worker;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Security;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Notifications;

/// <summary>
/// Queue function on <c>notifications</c>: resolves who wants the event (subscriptions of the component and of the teams
/// owning it) into one message per channel on <c>notification-deliveries</c>. Delivery ids are
/// <c>&lt;event id&gt;.&lt;subscription id&gt;</c>, so a fan-out repeated after a crash cannot make a channel hear twice.
/// With the local provider every event lands in the outbox: once per subscribed channel, or once unsubscribed.
/// </summary>
public sealed partial class FanOutNotification(FunctionInvoker invoker, 
    SubscriptionStore subscriptions,
    ICatalogDirectory directory,
    StorageOnce storage,
    QueueWakeup wakeup,
    NotificationMode mode,
    TimeProvider time,
    ILogger<FanOutNotification> logger) : IQueueHandler
{
    public const string FunctionName = "FanOutNotification";

    /// <summary>The queue-triggered function (the host's Storage Queues trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    public Task RunAsync([QueueTrigger(OutboxMessage.QueueName)] Azure.Storage.Queues.Models.QueueMessage message, CancellationToken cancellationToken) =>
        invoker.RunQueueAsync(FunctionName, message, this, cancellationToken);

    public async Task HandleAsync(QueueMessageContext message, CancellationToken ct)
    {
        var outbox = message.Read(OutboxMessage.Parse, "The notification");

        var e = outbox.Event;
        var owners = e.Component is null ? [] : await directory.GetOwnersAsync(e.Component, ct);
        var matches = await subscriptions.MatchAsync(e.Type, e.Component, owners, ct);
        var now = time.GetUtcNow();
        var deliveries = matches.Select(s => new DeliveryMessage($"{outbox.Id}.{s.Id}", 1, now, s.Id, s.Channel, outbox)).ToList();
        if (mode.IsLocal && deliveries.Count == 0)
        {
            deliveries.Add(new DeliveryMessage($"{outbox.Id}.local", 1, now, null, new ChannelSpec(ChannelTypes.Local), outbox));
        }

        var queue = await storage.QueueAsync(DeliveryMessage.QueueName, ct);
        foreach (var d in deliveries)
        {
            await queue.SendAsync(d.ToJson(), timeToLive: TimeSpan.FromSeconds(-1), ct: ct);
        }

        if (deliveries.Count > 0)
        {
            wakeup.Notify(DeliveryMessage.QueueName);
        }

        LogFannedOut(logger, outbox.Id, e.Type, deliveries.Count);
    }

    [LoggerMessage(EventId = 8110, Level = LogLevel.Information, Message = "Notification {Id} ({Type}) goes to {Count} channel(s)")]
    private static partial void LogFannedOut(ILogger logger, string id, string type, int count);
}

/// <summary>Whether deliveries stay local (<c>Notifications__Provider=local</c>, the default in local mode) or go out.</summary>
public sealed class NotificationMode(IOptions<NotificationOptions> options, FunctionAppInfo app)
{
    public bool IsLocal => options.Value.Provider is { Length: > 0 } p
        ? string.Equals(p, "local", StringComparison.OrdinalIgnoreCase)
        : app.IsLocal;
}
