using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Webhooks;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Notifications.Senders;

/// <summary>
/// PagerDuty Events API v2: a failed production deployment triggers an alert with <c>dedup_key</c>
/// <c>idp/&lt;component&gt;/&lt;environment&gt;</c>; the next successful deployment (or rollback) there resolves it. Other events,
/// and events outside production, page nobody.
/// </summary>
public sealed class PagerDutySender(IHttpClientFactory http, ISecretReferences secrets, IOptions<NotificationOptions> options) : INotificationSender
{
    public string ChannelType => ChannelTypes.PagerDuty;

    public static string? ActionFor(NotificationEvent e, NotificationOptions options) =>
        !options.IsProduction(e.Environment) || e.Component is null ? null : e.Type switch
        {
            NotificationEvents.DeploymentFailed => "trigger",
            NotificationEvents.DeploymentSucceeded or NotificationEvents.DeploymentRolledBack => "resolve",
            _ => null,
        };

    public static string DedupKey(NotificationEvent e) => $"idp/{e.Component}/{e.Environment}";

    public async Task SendAsync(DeliveryMessage delivery, RenderedNotification message, CancellationToken ct)
    {
        var e = delivery.Notification.Event;
        if (ActionFor(e, options.Value) is not { } action)
        {
            return;
        }

        var body = new JsonObject
        {
            ["routing_key"] = await secrets.RevealAsync(delivery.Channel.RoutingKeyRef!, ct),
            ["event_action"] = action,
            ["dedup_key"] = DedupKey(e),
        };
        if (action == "trigger")
        {
            var details = new JsonObject();
            foreach (var (k, v) in e.Facts)
            {
                details[k] = v;
            }

            body["payload"] = new JsonObject
            {
                ["summary"] = message.Title.Length > 1024 ? message.Title[..1024] : message.Title,
                ["source"] = "idpserverless",
                ["severity"] = e.Severity is "critical" or "error" or "warning" or "info" ? e.Severity : "critical",
                ["component"] = e.Component,
                ["group"] = e.Environment,
                ["class"] = e.Type,
                ["custom_details"] = details,
            };
            body["links"] = new JsonArray([.. e.Links.Select(l => (JsonNode)new JsonObject { ["href"] = l.Url, ["text"] = l.Title })]);
        }

        using var response = await http.CreateClient(NotificationHttp.ClientName).PostAsJsonAsync(options.Value.PagerDutyEventsUrl, body, ct);
        NotificationHttp.EnsureDelivered(response, "PagerDuty Events v2");
    }
}
