using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Webhooks;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Notifications.Senders;

/// <summary>Slack incoming webhook: POST the message JSON to the URL behind <c>webhookUrlRef</c>; Slack answers 200 <c>ok</c>.</summary>
public sealed class SlackWebhookSender(IHttpClientFactory http, ISecretReferences secrets) : INotificationSender
{
    public string ChannelType => ChannelTypes.Slack;

    public async Task SendAsync(DeliveryMessage delivery, RenderedNotification message, CancellationToken ct)
    {
        var url = await secrets.RevealAsync(delivery.Channel.WebhookUrlRef!, ct);
        using var response = await http.CreateClient(NotificationHttp.ClientName).PostAsJsonAsync(url, message.SlackMessage(), ct);
        NotificationHttp.EnsureDelivered(response, "The Slack incoming webhook");
    }
}

/// <summary>Slack Web API <c>chat.postMessage</c> with the bot token behind <c>tokenRef</c>.</summary>
public sealed class SlackBotSender(IHttpClientFactory http, ISecretReferences secrets, IOptions<NotificationOptions> options) : INotificationSender
{
    // Errors Slack documents as worth retrying; any other error code is a configuration problem.
    private static readonly HashSet<string> Transient = new(StringComparer.Ordinal) { "ratelimited", "service_unavailable", "fatal_error", "internal_error", "request_timeout" };

    public string ChannelType => ChannelTypes.SlackBot;

    public async Task SendAsync(DeliveryMessage delivery, RenderedNotification message, CancellationToken ct)
    {
        var token = await secrets.RevealAsync(delivery.Channel.TokenRef!, ct);
        var body = message.SlackMessage();
        body["channel"] = delivery.Channel.Channel;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Value.SlackApiBaseUrl, "chat.postMessage"))
        {
            Content = JsonContent.Create(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.CreateClient(NotificationHttp.ClientName).SendAsync(request, ct);
        NotificationHttp.EnsureDelivered(response, "Slack chat.postMessage");
        var answer = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        if (answer?["ok"]?.GetValue<bool>() != true)
        {
            var error = answer?["error"]?.GetValue<string>() ?? "no ok in the answer";
            throw new DeliveryFailedException($"Slack chat.postMessage refused: {error}.", !Transient.Contains(error));
        }
    }
}
