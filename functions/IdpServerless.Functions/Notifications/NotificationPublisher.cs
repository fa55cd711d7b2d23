using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Dispatch;

namespace IdpServerless.Functions.Notifications;

/// <summary>
/// The outbox: an event is on the <c>notifications</c> queue (never expiring) before <see cref="PublishAsync"/> returns;
/// <see cref="FanOutNotification"/> takes it from there. Publishing never waits for Slack, SMTP or PagerDuty.
/// </summary>
public sealed partial class NotificationPublisher(StorageOnce storage, QueueWakeup wakeup, TimeProvider time, ILogger<NotificationPublisher> logger) : INotificationPublisher
{
    public Task PublishAsync(NotificationEvent notification, CancellationToken cancellationToken) =>
        PublishAsync(notification, Guid.NewGuid().ToString("N"), cancellationToken);

    public async Task PublishAsync(NotificationEvent notification, string outboxId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentException.ThrowIfNullOrWhiteSpace(outboxId);
        var message = new OutboxMessage(outboxId, time.GetUtcNow(), notification);
        var queue = await storage.QueueAsync(OutboxMessage.QueueName, cancellationToken);
        await queue.SendAsync(message.ToJson(), timeToLive: TimeSpan.FromSeconds(-1), ct: cancellationToken);
        wakeup.Notify(OutboxMessage.QueueName);
        LogPublished(logger, notification.Type, notification.Subject, message.Id);
    }

    [LoggerMessage(EventId = 8101, Level = LogLevel.Information, Message = "Published {Type} for {Subject} as notification {Id}")]
    private static partial void LogPublished(ILogger logger, string type, string subject, string id);
}
