using System.Globalization;
using System.Text;
using System.Text.Json;
using IdpServerless.Functions.Webhooks;

namespace IdpServerless.Functions.Notifications.Senders;

/// <summary>
/// Generic outgoing webhook: POST of the event as JSON with <c>X-Idp-Event</c>, <c>X-Idp-Delivery</c>,
/// <c>X-Idp-Timestamp</c> (Unix seconds) and <c>X-Idp-Signature: sha256=&lt;hex HMAC-SHA256 of "{timestamp}.{body}"&gt;</c>
/// keyed with the secret behind <c>secretRef</c>. Receivers recompute it and reject stale timestamps.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory http, ISecretReferences secrets, TimeProvider time) : INotificationSender
{
    public string ChannelType => ChannelTypes.Webhook;

    public static string Sign(string secret, string timestamp, byte[] body) =>
        "sha256=" + WebhookSignatures.HmacHex(secret, [.. Encoding.UTF8.GetBytes(timestamp + "."), .. body]);

    public async Task SendAsync(DeliveryMessage delivery, RenderedNotification message, CancellationToken ct)
    {
        var n = delivery.Notification;
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = n.Id,
            deliveryId = delivery.DeliveryId,
            type = n.Event.Type,
            occurredAt = n.OccurredAt,
            component = n.Event.Component,
            environment = n.Event.Environment,
            subject = n.Event.Subject,
            title = message.Title,
            text = n.Event.Text,
            severity = n.Event.Severity,
            links = n.Event.Links,
            facts = n.Event.Facts,
        }, JsonSerializerOptions.Web);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var secret = await secrets.RevealAsync(delivery.Channel.SecretRef!, ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Channel.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-Idp-Event", n.Event.Type);
        request.Headers.Add("X-Idp-Delivery", delivery.DeliveryId);
        request.Headers.Add("X-Idp-Timestamp", timestamp);
        request.Headers.Add("X-Idp-Signature", Sign(secret, timestamp, body));
        using var response = await http.CreateClient(NotificationHttp.ClientName).SendAsync(request, ct);
        NotificationHttp.EnsureDelivered(response, "The webhook endpoint");
    }
}
