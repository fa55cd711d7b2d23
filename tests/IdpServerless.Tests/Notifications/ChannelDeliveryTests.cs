using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IdpServerless.Functions.Notifications;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Notifications;

/// <summary>PagerDuty Events v2, signed outgoing webhooks, e-mail over SMTP, and the local outbox.</summary>
[Collection("azurite")]
public class ChannelDeliveryTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PagerDuty_is_triggered_by_a_failed_production_deployment_and_resolved_by_the_next_success_with_one_dedup_key()
    {
        await using var pd = await HttpSink.StartNewAsync();
        pd.Responder = r => (202, JsonSerializer.Serialize(new { status = "success", message = "Event processed", dedup_key = JsonDocument.Parse(r.Body).RootElement.GetProperty("dedup_key").GetString() }), "application/json");
        await using var host = await EventsAppHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Notifications__Provider"] = "live",
            ["Notifications__PagerDutyEventsUrl"] = pd.Url + "/v2/enqueue",
            ["Secrets__pd-routing"] = "R0UT1NGKEY0000000000000000000000",
        });
        var (team, component, owner) = NotificationTestKit.Team(host);
        var sub = await NotificationTestKit.SubscribeAsync(host, owner, new { team, channel = new { type = "pagerduty", routingKeyRef = "local:pd-routing" } });

        await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.DeploymentFailed, component, "dev", "dep-dev", severity: "critical"));
        await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.DeploymentFailed, component, "prod", "dep-prod-1", severity: "critical"));
        await Eventually.TrueAsync(async () => await NotificationTestKit.SentCountAsync(host, sub.Id) == 2, Wait, "both failures handled");
        await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.DeploymentSucceeded, component, "prod", "dep-prod-2"));
        await Eventually.TrueAsync(async () => await NotificationTestKit.SentCountAsync(host, sub.Id) == 3, Wait, "the success handled");

        var events = pd.Received.Select(r => (Path: r.Path, Body: JsonDocument.Parse(r.Body).RootElement)).ToList();
        Assert.Equal(2, events.Count); // the dev failure paged nobody
        Assert.All(events, e => Assert.Equal("/v2/enqueue", e.Path));
        var trigger = events[0].Body;
        var resolve = events[1].Body;
        Assert.Equal("trigger", trigger.GetProperty("event_action").GetString());
        Assert.Equal("R0UT1NGKEY0000000000000000000000", trigger.GetProperty("routing_key").GetString());
        Assert.Equal("critical", trigger.GetProperty("payload").GetProperty("severity").GetString());
        Assert.Equal("idpserverless", trigger.GetProperty("payload").GetProperty("source").GetString());
        Assert.Contains("dep-prod-1", trigger.GetProperty("payload").GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal("resolve", resolve.GetProperty("event_action").GetString());
        Assert.Equal(trigger.GetProperty("dedup_key").GetString(), resolve.GetProperty("dedup_key").GetString());
        Assert.Equal($"idp/{component}/prod", resolve.GetProperty("dedup_key").GetString());
    }

    [Fact]
    public async Task The_same_event_published_twice_under_one_outbox_id_is_delivered_once()
    {
        await using var receiver = await HttpSink.StartNewAsync();
        await using var host = await EventsAppHost.StartAsync(azurite, new Dictionary<string, string?> { ["Notifications__Provider"] = "live", ["Secrets__once-secret"] = "once-signing-secret" });
        var (team, component, owner) = NotificationTestKit.Team(host);
        var sub = await NotificationTestKit.SubscribeAsync(host, owner, new { team, channel = new { type = "webhook", url = receiver.Url + "/events", secretRef = "local:once-secret" } });
        var publisher = host.Services.GetRequiredService<INotificationPublisher>();
        var e = NotificationTestKit.Event(NotificationEvents.DeploymentSucceeded, component, "prod", "dep-once");

        // As a deployment's notify activity does when it runs again after a crash: same event, same orchestration-chosen id.
        await publisher.PublishAsync(e, "outbox-dep-once", CancellationToken.None);
        await Eventually.TrueAsync(async () => await NotificationTestKit.SentCountAsync(host, sub.Id) == 1, Wait, "the first publish delivered");
        await publisher.PublishAsync(e, "outbox-dep-once", CancellationToken.None);
        var other = NotificationTestKit.Event(NotificationEvents.DeploymentSucceeded, component, "prod", "dep-other");
        await publisher.PublishAsync(other, CancellationToken.None);
        await Eventually.TrueAsync(async () => await NotificationTestKit.SentCountAsync(host, sub.Id) == 2, Wait, "the other event delivered");

        // The repeat was queued before the other event and is handled first in the normal course; a second send of it would show here.
        Assert.Equal(2, receiver.Received.Count);
        Assert.Single(receiver.Received, r => r.Body.Contains("dep-once", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_generic_webhook_is_signed_with_hmac_over_timestamp_and_body()
    {
        await using var receiver = await HttpSink.StartNewAsync();
        const string Secret = "outgoing-signing-secret";
        await using var host = await EventsAppHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Notifications__Provider"] = "live",
            ["Secrets__hook-secret"] = Secret,
        });
        var (team, component, owner) = NotificationTestKit.Team(host);
        await NotificationTestKit.SubscribeAsync(host, owner, new { team, channel = new { type = "webhook", url = receiver.Url + "/idp-events", secretRef = "local:hook-secret" } });

        await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.CanaryPaused, component, "prod", "dep-canary"));

        var request = await Eventually.ValueAsync(() => Task.FromResult(receiver.Received.FirstOrDefault()), Wait, "the webhook");
        var timestamp = request.Headers["X-Idp-Timestamp"];
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(timestamp + "." + request.Body)));
        Assert.Equal(expected, request.Headers["X-Idp-Signature"]);
        Assert.InRange(long.Parse(timestamp, CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        Assert.Equal(NotificationEvents.CanaryPaused, request.Headers["X-Idp-Event"]);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("dep-canary", body.GetProperty("subject").GetString());
        Assert.Equal(component, body.GetProperty("component").GetString());
        Assert.Equal(request.Headers["X-Idp-Delivery"], body.GetProperty("deliveryId").GetString());
    }

    [Fact]
    public async Task An_email_subscription_sends_the_message_through_the_smtp_relay()
    {
        await using var smtp = new SmtpSink();
        await using var host = await EventsAppHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Notifications__Provider"] = "live",
            ["Notifications__Smtp__Host"] = "127.0.0.1",
            ["Notifications__Smtp__Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Notifications__Smtp__From"] = "idp@example.com",
        });
        var (team, component, owner) = NotificationTestKit.Team(host);
        await NotificationTestKit.SubscribeAsync(host, owner, new { team, channel = new { type = "email", to = new[] { "oncall@example.com", "lead@example.com" } } });

        await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.DeploymentRolledBack, component, "prod", "dep-mail"));

        var mail = await Eventually.ValueAsync(() => Task.FromResult(smtp.Mails.FirstOrDefault()), Wait, "the mail");
        Assert.Equal("idp@example.com", mail.From);
        Assert.Equal(["oncall@example.com", "lead@example.com"], mail.To);
        // Read as any mail client reads it: MIME, whatever transfer encoding the sender chose.
        var mime = MimeKit.MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(mail.Data)));
        Assert.Contains("Rolled back", mime.Subject, StringComparison.Ordinal);
        Assert.Equal(["idp@example.com"], mime.From.Mailboxes.Select(m => m.Address));
        Assert.Equal(["oncall@example.com", "lead@example.com"], mime.To.Mailboxes.Select(m => m.Address));
        Assert.Contains("Details of dep-mail.", mime.TextBody, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(mime.MessageId));
        // The client says QUIT after the server accepted the message, so it can arrive just after the mail is recorded.
        await Eventually.TrueAsync(() => Task.FromResult(smtp.Commands.ToList().Any(c => c.StartsWith("QUIT", StringComparison.Ordinal))), Wait, "the client to close the session with QUIT");
    }

    [Fact]
    public async Task A_relay_that_refuses_a_recipient_for_good_poisons_the_mail_at_once_and_a_busy_one_is_tried_again()
    {
        await using var smtp = new SmtpSink
        {
            RecipientReply = r => r.StartsWith("gone@", StringComparison.Ordinal) ? "550 5.1.1 No such user"
                : r.StartsWith("busy@", StringComparison.Ordinal) ? "451 4.3.0 Try again later" : null,
        };
        await using var host = await EventsAppHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Notifications__Provider"] = "live",
            ["Notifications__Smtp__Host"] = "127.0.0.1",
            ["Notifications__Smtp__Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Notifications__Smtp__From"] = "idp@example.com",
            ["Notifications__Delivery__RetryDelay"] = "00:00:00.200",
        });
        var (team, component, owner) = NotificationTestKit.Team(host);
        await NotificationTestKit.SubscribeAsync(host, owner, new { team, channel = new { type = "email", to = new[] { "gone@example.com" } } });
        await NotificationTestKit.SubscribeAsync(host, owner, new { team, channel = new { type = "email", to = new[] { "busy@example.com" } } });
        var subject = "dep-smtp-" + Guid.NewGuid().ToString("N")[..8];

        await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.DeploymentFailed, component, "prod", subject));

        var poison = host.Storage.GetQueue(DeliveryMessage.QueueName + "-poison");
        var record = await Eventually.ValueAsync(async () =>
        {
            await poison.CreateIfNotExistsAsync();
            return (await poison.PeekAsync(32)).Select(m => PoisonRecord.TryParse(m.Body))
                .FirstOrDefault(p => p?.Body.Contains(subject, StringComparison.Ordinal) == true && p.Body.Contains("gone@", StringComparison.Ordinal));
        }, Wait, "the poison record of the refused recipient");
        Assert.Contains("550", record.Reason, StringComparison.Ordinal);
        Assert.Equal(1, DeliveryMessage.Parse(record.Body).Attempt);
        // The busy relay's 451 is transient: the same delivery comes back for a second RCPT.
        await Eventually.TrueAsync(() => Task.FromResult(smtp.Commands.Count(c => c.Contains("busy@example.com", StringComparison.Ordinal)) >= 2), Wait, "a second attempt for the busy recipient");
    }

    [Fact]
    public async Task With_the_local_provider_every_event_lands_in_the_outbox_readable_through_the_api()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, new Dictionary<string, string?> { ["Notifications__Provider"] = "local" });
        var (team, component, owner) = NotificationTestKit.Team(host);
        await NotificationTestKit.SubscribeAsync(host, owner, new { team, channel = new { type = "slack", webhookUrlRef = "local:never-resolved" } });
        var subject = "dep-local-" + Guid.NewGuid().ToString("N")[..8];

        await NotificationTestKit.PublishAsync(host, NotificationTestKit.Event(NotificationEvents.DeploymentSucceeded, component, "dev", subject));

        var entries = await Eventually.ValueAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/notifications/outbox?limit=100");
            request.Headers.Add(EventsAppHost.TestUserHeader, owner);
            using var response = await host.Client.SendAsync(request);
            var page = await response.Content.ReadFromJsonAsync<JsonElement>();
            var mine = page.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("subject").GetString() == subject).ToList();
            return mine.Count == 1 ? mine : null;
        }, Wait, "the outbox entry");
        var entry = entries[0];
        Assert.Equal(NotificationEvents.DeploymentSucceeded, entry.GetProperty("eventType").GetString());
        Assert.Equal("slack webhook local:never-resolved", entry.GetProperty("channel").GetString());
        Assert.Contains("Deployed", entry.GetProperty("title").GetString(), StringComparison.Ordinal);
        using var badRequest = new HttpRequestMessage(HttpMethod.Get, "/api/notifications/outbox?limit=0");
        badRequest.Headers.Add(EventsAppHost.TestUserHeader, owner);
        using var bad = await host.Client.SendAsync(badRequest);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        using var anonymous = await host.Client.GetAsync("/api/notifications/outbox");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
