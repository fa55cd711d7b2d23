using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Notifications.Senders;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.ChatOps;

/// <summary>Posts a reply to a Slack <c>response_url</c> (only to allowed prefixes). A failure throws, so the queue retries it.</summary>
public sealed class SlackResponder(IHttpClientFactory http, IOptions<ChatOpsOptions> options)
{
    public async Task PostAsync(string responseUrl, ChatReply reply, CancellationToken ct)
    {
        if (!options.Value.ResponseUrlAllowed(responseUrl))
        {
            throw new InvalidOperationException("The response_url is not one this app posts to.");
        }

        var body = new JsonObject
        {
            ["response_type"] = reply.InChannel ? "in_channel" : "ephemeral",
            ["text"] = reply.Text,
        };
        if (reply.ReplaceOriginal)
        {
            body["replace_original"] = true;
        }

        using var response = await http.CreateClient(NotificationHttp.ClientName).PostAsJsonAsync(responseUrl, body, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Slack's response_url answered {(int)response.StatusCode}.", null, response.StatusCode);
        }
    }
}
