using System.Text.Json;
using IdpServerless.Functions.Notifications;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Notifications;

/// <summary><c>chat.postMessage</c> against a sink that answers like Slack's Web API (<c>{"ok": true}</c> or <c>{"ok": false, "error": ...}</c>).</summary>
[Collection("azurite")]
public class SlackBotDeliveryTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Chat_post_message_carries_the_bot_token_and_channel_and_a_permanent_error_is_poisoned_at_once()
    {
        await using var slack = await HttpSink.StartNewAsync();
        slack.Responder = r =>
        {
            var channel = JsonDocument.Parse(r.Body).RootElement.GetProperty("channel").GetString();
            return channel == "#deploys"
                ? (200, """{"ok":true,"channel":"C123ABC456","ts":"1503435956.000247"}""", "application/json")
                : (200, """{"ok":false,"error":"channel_not_found"}""", "application/json");
        };
        await using var host = await EventsAppHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Notifications__Provider"] = "live",
            ["Notifications__SlackApiBaseUrl"] = slack.Url + "/api/",
            ["Secrets__bot-token"] = "xoxb-test-token-value",
        });
        var (team, component, owner) = NotificationTestKit.Team(host);
        await NotificationTestKit.SubscribeAsync(host, owner, new { team, channel = new { type = "slack-bot", tokenRef = "local:bot-token", channel = "#deploys" } });
        await NotificationTestKit.SubscribeAsync(host, owner, new { team, channel = new { type = "slack-bot", tokenRef = "local:bot-token", channel = "#gone" } });
        var subject = "dep-bot-" + Guid.NewGuid().ToString("N")[..8];

        await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.DeploymentStarted, component, "dev", subject));

        var poison = host.Storage.GetQueue(DeliveryMessage.QueueName + "-poison");
        var record = await Eventually.ValueAsync(async () =>
        {
            await poison.CreateIfNotExistsAsync();
            return (await poison.PeekAsync(32)).Select(m => PoisonRecord.TryParse(m.Body)).FirstOrDefault(p => p?.Body.Contains(subject, StringComparison.Ordinal) == true);
        }, Wait, "the poison record");
        Assert.Contains("channel_not_found", record.Reason, StringComparison.Ordinal);
        Assert.Equal(1, DeliveryMessage.Parse(record.Body).Attempt); // permanent: no retries
        var posted = await Eventually.ValueAsync(() => Task.FromResult(slack.Received.FirstOrDefault(r => r.Body.Contains("#deploys", StringComparison.Ordinal))), Wait, "the posted message");
        Assert.Equal("/api/chat.postMessage", posted.Path);
        Assert.Equal("Bearer xoxb-test-token-value", posted.Headers["Authorization"]);
        Assert.Contains(subject, posted.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains("xoxb-test-token-value", StringComparison.Ordinal));
        Assert.DoesNotContain("xoxb-test-token-value", record.Body + record.Reason, StringComparison.Ordinal);
    }
}
