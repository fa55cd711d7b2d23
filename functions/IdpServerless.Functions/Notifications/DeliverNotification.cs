using Microsoft.Azure.Functions.Worker;
using IdpServerless.Functions.Notifications.Senders;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Functions;
using IdpServerless.Storage;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Notifications;

/// <summary>
/// Queue function on <c>notification-deliveries</c>: renders the event with its template and hands it to the channel's
/// sender (or to the local outbox with the local provider). A provider that is down does not lose the message: the
/// failed attempt re-enqueues the delivery with <c>attempt + 1</c> and an exponential delay, as long as the delivery is
/// younger than <c>MaxAge</c>; then, or at once for a permanent refusal, it goes to <c>notification-deliveries-poison</c>
/// with the reason. A delivery id that was sent once is not sent again (the <c>notificationsent</c> table).
/// </summary>
public sealed partial class DeliverNotification(FunctionInvoker invoker, 
    IEnumerable<INotificationSender> senders,
    LocalOutbox outbox,
    NotificationMode mode,
    StorageOnce storage,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<DeliverNotification> logger) : IQueueHandler
{
    public const string FunctionName = "DeliverNotification";

    /// <summary>The queue-triggered function (the host's Storage Queues trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    public Task RunAsync([QueueTrigger(DeliveryMessage.QueueName)] Azure.Storage.Queues.Models.QueueMessage message, CancellationToken cancellationToken) =>
        invoker.RunQueueAsync(FunctionName, message, this, cancellationToken);
    public const string SentTable = "notificationsent";

    public async Task HandleAsync(QueueMessageContext message, CancellationToken ct)
    {
        var delivery = message.Read(DeliveryMessage.Parse, "The delivery");

        var sent = await storage.TableAsync(SentTable, ct);
        var key = TableKeys.Escape(delivery.DeliveryId);
        if (await sent.GetEntityAsync(key, "sent", ct: ct) is not null)
        {
            return;
        }

        INotificationSender sender = mode.IsLocal || delivery.Channel.Type == ChannelTypes.Local
            ? outbox
            : senders.FirstOrDefault(s => s.ChannelType == delivery.Channel.Type)
              ?? throw new PoisonMessageException($"No sender for channel type '{delivery.Channel.Type}'.");
        try
        {
            await sender.SendAsync(delivery, NotificationTemplates.Render(delivery.Notification.Event), ct);
        }
        catch (DeliveryFailedException e) when (e.Permanent)
        {
            throw new PoisonMessageException($"{delivery.Channel.Describe()} refused delivery {delivery.DeliveryId}: {e.Message}");
        }
        catch (SecretUnavailableException e)
        {
            throw new PoisonMessageException($"Delivery {delivery.DeliveryId} to {delivery.Channel.Describe()}: {e.Message}");
        }
        catch (Exception e) when (e is DeliveryFailedException or HttpRequestException or IOException or System.Net.Sockets.SocketException
                                    || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            await RescheduleAsync(delivery, Describe(e), ct);
            return;
        }

        await sent.UpsertEntityAsync(new TableEntity(key, "sent") { ["At"] = time.GetUtcNow(), ["Attempts"] = delivery.Attempt }, ct: ct);
        LogDelivered(logger, delivery.DeliveryId, delivery.Channel.Type, delivery.Attempt);
    }

    private async Task RescheduleAsync(DeliveryMessage delivery, string error, CancellationToken ct)
    {
        var retry = options.Value.Delivery;
        var delay = TimeSpan.FromTicks((long)Math.Min(retry.RetryDelay.Ticks * Math.Pow(2, Math.Min(delivery.Attempt - 1, 30)), retry.MaxRetryDelay.Ticks));
        var age = time.GetUtcNow() - delivery.FirstAttemptAt;
        if (age + delay > retry.MaxAge)
        {
            throw new PoisonMessageException(
                $"Gave up on delivery {delivery.DeliveryId} to {delivery.Channel.Describe()} after {delivery.Attempt} attempts over {age.TotalSeconds:0} s; last error: {error}");
        }

        var queue = await storage.QueueAsync(DeliveryMessage.QueueName, ct);
        var next = delivery with { Attempt = delivery.Attempt + 1, LastError = error };
        await queue.SendAsync(next.ToJson(), visibilityDelay: delay, timeToLive: TimeSpan.FromSeconds(-1), ct: ct);
        LogRetryLater(logger, delivery.DeliveryId, delivery.Channel.Type, delivery.Attempt, delay.TotalSeconds, error);
    }

    private static string Describe(Exception e) => e switch
    {
        DeliveryFailedException d => d.Message,
        HttpRequestException h => $"HTTP request failed ({h.HttpRequestError})",
        OperationCanceledException => "timed out",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    [LoggerMessage(EventId = 8120, Level = LogLevel.Information, Message = "Delivered {DeliveryId} via {Channel} on attempt {Attempt}")]
    private static partial void LogDelivered(ILogger logger, string deliveryId, string channel, int attempt);

    [LoggerMessage(EventId = 8121, Level = LogLevel.Warning, Message = "Delivery {DeliveryId} via {Channel} failed on attempt {Attempt}; trying again in {DelaySeconds} s: {Error}")]
    private static partial void LogRetryLater(ILogger logger, string deliveryId, string channel, int attempt, double delaySeconds, string error);
}
