using System.Text.Json;

namespace IdpServerless.Functions.Notifications;

/// <summary>Channel kinds a subscription can deliver to.</summary>
public static class ChannelTypes
{
    /// <summary>Slack incoming webhook; <c>webhookUrlRef</c> is a secret reference to its URL.</summary>
    public const string Slack = "slack";

    /// <summary>Slack <c>chat.postMessage</c>; <c>tokenRef</c> (bot token reference) and <c>channel</c>.</summary>
    public const string SlackBot = "slack-bot";

    /// <summary>E-mail over SMTP to <c>to</c>.</summary>
    public const string Email = "email";

    /// <summary>PagerDuty Events v2; <c>routingKeyRef</c>.</summary>
    public const string PagerDuty = "pagerduty";

    /// <summary>Signed HTTP POST to <c>url</c>, HMAC key <c>secretRef</c>.</summary>
    public const string Webhook = "webhook";

    /// <summary>The local outbox table (readable at <c>GET /api/notifications/outbox</c>).</summary>
    public const string Local = "local";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Slack, SlackBot, Email, PagerDuty, Webhook, Local };
}

/// <summary>Where a subscription delivers. Only secret references are stored, never secret values.</summary>
public sealed record ChannelSpec(
    string Type,
    string? WebhookUrlRef = null,
    string? TokenRef = null,
    string? Channel = null,
    IReadOnlyList<string>? To = null,
    string? RoutingKeyRef = null,
    string? Url = null,
    string? SecretRef = null)
{
    /// <summary>A short description for logs and the outbox (no secrets: references only).</summary>
    public string Describe() => Type switch
    {
        ChannelTypes.Slack => $"slack webhook {WebhookUrlRef}",
        ChannelTypes.SlackBot => $"slack {Channel}",
        ChannelTypes.Email => $"email {string.Join(", ", To ?? [])}",
        ChannelTypes.PagerDuty => $"pagerduty {RoutingKeyRef}",
        ChannelTypes.Webhook => $"webhook {Url}",
        _ => Type,
    };
}

/// <summary>An event as written to the <c>notifications</c> outbox queue.</summary>
public sealed record OutboxMessage(string Id, DateTimeOffset OccurredAt, NotificationEvent Event)
{
    public const string QueueName = "notifications";

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    public static OutboxMessage Parse(string json) =>
        JsonSerializer.Deserialize<OutboxMessage>(json, JsonSerializerOptions.Web) ?? throw new JsonException("The notification message is empty.");
}

/// <summary>
/// One delivery of one event to one channel, on <c>notification-deliveries</c>. <see cref="Attempt"/> and
/// <see cref="FirstAttemptAt"/> travel with the message, so a delivery can outlive the dispatcher's five dequeues: each
/// failed attempt re-enqueues it with a growing delay until <c>Notifications__Delivery__MaxAge</c>, then poisons it.
/// </summary>
public sealed record DeliveryMessage(
    string DeliveryId,
    int Attempt,
    DateTimeOffset FirstAttemptAt,
    string? SubscriptionId,
    ChannelSpec Channel,
    OutboxMessage Notification,
    string? LastError = null)
{
    public const string QueueName = "notification-deliveries";

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    public static DeliveryMessage Parse(string json) =>
        JsonSerializer.Deserialize<DeliveryMessage>(json, JsonSerializerOptions.Web) ?? throw new JsonException("The delivery message is empty.");
}
