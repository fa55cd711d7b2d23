using System.Text.Json;
using IdpServerless.Functions.Notifications;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Notifications;

/// <summary>Slack incoming-webhook deliveries against a sink that follows Slack's contract (200 <c>ok</c>), and goes down.</summary>
[Collection("azurite")]
public class SlackDeliveryTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(45);

    private static Dictionary<string, string?> Settings(HttpSink sink, string maxAge) => new()
    {
        ["Notifications__Provider"] = "live",
        ["Notifications__Delivery__RetryDelay"] = "00:00:00.100",
        ["Notifications__Delivery__MaxRetryDelay"] = "00:00:00.400",
        ["Notifications__Delivery__MaxAge"] = maxAge,
        ["Secrets__team-slack"] = sink.Url + "/services/T0001/B0001/secretpart",
    };

    [Fact]
    public async Task A_slack_sink_that_is_down_for_a_while_receives_every_notification_once_it_is_back()
    {
        await using var sink = await HttpSink.StartNewAsync();
        await using var host = await EventsAppHost.StartAsync(azurite, Settings(sink, "00:10:00"));
        var (team, component, owner) = NotificationTestKit.Team(host);
        var subscription = await NotificationTestKit.SubscribeAsync(host, owner, new { team, channel = new { type = "slack", webhookUrlRef = "local:team-slack" } });

        // Down, refusing connections.
        await sink.StopAsync();
        var subjects = Enumerable.Range(1, 5).Select(i => $"dep-{subscription.Id[..6]}-{i}").ToList();
        foreach (var s in subjects)
        {
            await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.DeploymentSucceeded, component, "staging", s));
        }

        await Eventually.TrueAsync(() => Task.FromResult(
            host.Logs.Entries.Count(e => e.EventId == 8121 && e.Message.Contains("." + subscription.Id, StringComparison.Ordinal) && e.Message.Contains("HTTP request failed", StringComparison.Ordinal)) >= 2 * subjects.Count),
            Wait, "two refused attempts per delivery");

        // Up again but failing with 503.
        sink.Fail = true;
        await sink.StartAsync();
        await Eventually.TrueAsync(() => Task.FromResult(sink.Refused.Select(r => r.Body).Distinct().Count() >= subjects.Count), Wait, "503 answers for every delivery");

        // Back.
        sink.Fail = false;
        await Eventually.TrueAsync(async () => await NotificationTestKit.SentCountAsync(host, subscription.Id) == subjects.Count, Wait, "every delivery sent");

        var delivered = sink.Received.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("text").GetString()!).ToList();
        Assert.Equal(subjects.Count, delivered.Count);
        Assert.All(subjects, s => Assert.Single(delivered, t => t.Contains(s, StringComparison.Ordinal)));
        Assert.All(sink.Received, r => Assert.Equal("/services/T0001/B0001/secretpart", r.Path));
        Assert.All(sink.Received, r => Assert.StartsWith("application/json", r.Headers["Content-Type"], StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains("secretpart", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_slack_sink_that_never_recovers_puts_the_delivery_in_the_poison_queue_with_the_reason()
    {
        await using var sink = await HttpSink.StartNewAsync();
        sink.Fail = true;
        await using var host = await EventsAppHost.StartAsync(azurite, Settings(sink, "00:00:02"));
        var (team, component, owner) = NotificationTestKit.Team(host);
        var subscription = await NotificationTestKit.SubscribeAsync(host, owner, new { team, events = new[] { NotificationEvents.DeploymentFailed }, channel = new { type = "slack", webhookUrlRef = "local:team-slack" } });

        var subject = "dep-never-" + subscription.Id[..8];
        await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.DeploymentFailed, component, "staging", subject, severity: "critical"));

        var poison = host.Storage.GetQueue(DeliveryMessage.QueueName + "-poison");
        var record = await Eventually.ValueAsync(async () =>
        {
            await poison.CreateIfNotExistsAsync();
            return (await poison.PeekAsync(32)).Select(m => PoisonRecord.TryParse(m.Body)).FirstOrDefault(p => p?.Body.Contains(subject, StringComparison.Ordinal) == true);
        }, Wait, "the poison record");

        Assert.Contains("Gave up on delivery", record.Reason, StringComparison.Ordinal);
        Assert.Contains("503", record.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("secretpart", record.Reason, StringComparison.Ordinal);
        var body = DeliveryMessage.Parse(record.Body);
        Assert.Equal(subscription.Id, body.SubscriptionId);
        Assert.True(body.Attempt >= 2, $"attempts: {body.Attempt}");
        Assert.True(sink.Refused.Count >= 2);
        Assert.Empty(sink.Received);
        Assert.Equal(0, await NotificationTestKit.SentCountAsync(host, subscription.Id));
    }

    [Fact]
    public async Task An_approval_needed_message_carries_approve_and_reject_buttons_for_the_deployment()
    {
        await using var sink = await HttpSink.StartNewAsync();
        await using var host = await EventsAppHost.StartAsync(azurite, Settings(sink, "00:10:00"));
        var (team, component, owner) = NotificationTestKit.Team(host);
        var subscription = await NotificationTestKit.SubscribeAsync(host, owner, new { team, component, events = new[] { NotificationEvents.ApprovalNeeded }, channel = new { type = "slack", webhookUrlRef = "local:team-slack" } });
        var subject = "dep-approve-" + subscription.Id[..8];

        await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.DeploymentStarted, component, "prod", subject + "-ignored"));
        await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.ApprovalNeeded, component, "prod", subject));

        var message = await Eventually.ValueAsync(() => Task.FromResult(sink.Received.FirstOrDefault()), Wait, "the approval message");
        var root = JsonDocument.Parse(message.Body).RootElement;
        var actions = root.GetProperty("blocks").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "actions");
        var values = actions.GetProperty("elements").EnumerateArray().Select(e => e.GetProperty("value").GetString()).ToList();
        Assert.Equal([$"approve:{subject}", $"reject:{subject}"], values);
        Assert.Contains("Approval needed", root.GetProperty("text").GetString(), StringComparison.Ordinal);
        await Eventually.TrueAsync(async () => await NotificationTestKit.SentCountAsync(host, subscription.Id) == 1, Wait, "the delivery recorded");
        Assert.Single(sink.Received); // the deployment.started event was not subscribed to
    }
}
