using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Functions.ChatOps;
using IdpServerless.Functions.Deployments;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.ChatOps;

/// <summary>Slack slash commands and buttons, signed as Slack signs them, answered on a response_url sink.</summary>
[Collection("azurite")]
public class SlackChatOpsTests(AzuriteFixture azurite)
{
    private const string SigningSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static Dictionary<string, string?> Settings(HttpSink sink) => new()
    {
        ["Secrets__slack-signing-secret"] = SigningSecret,
        ["ChatOps__ResponseUrlPrefixes"] = sink.Url + "/commands/",
    };

    private static string CommandForm(string userId, string text, string responseUrl) =>
        string.Join('&', new Dictionary<string, string>
        {
            ["token"] = "gIkuvaNzQIHg97ATvDxqgjtO",
            ["team_id"] = "T0001",
            ["team_domain"] = "example",
            ["enterprise_id"] = "E0001",
            ["enterprise_name"] = "Globular Construct Inc",
            ["channel_id"] = "C2147483705",
            ["channel_name"] = "deploys",
            ["user_id"] = userId,
            ["user_name"] = "Steve",
            ["command"] = "/idp",
            ["text"] = text,
            ["response_url"] = responseUrl,
            ["trigger_id"] = "13345224609.738474920.8088930838d88f008e0",
            ["api_app_id"] = "A123456",
        }.Select(kv => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(kv.Value)}"));

    private static async Task<(EventsAppHost Host, HttpSink Sink, string Component)> StartAsync(AzuriteFixture azurite)
    {
        var sink = await HttpSink.StartNewAsync();
        var host = await EventsAppHost.StartAsync(azurite, Settings(sink));
        var component = "payments-" + Guid.NewGuid().ToString("N")[..8];
        host.Deployments.Environments[$"component:default/{component}"] =
        [
            new EnvironmentSummary("dev", 0, false, "rolling", "1.2.2", "Succeeded", "d-dev"),
            new EnvironmentSummary("prod", 1, true, "canary", "1.2.1", "Running", "d-prod"),
        ];
        return (host, sink, component);
    }

    private static async Task<JsonElement> PostCommandAsync(EventsAppHost host, string form)
    {
        using var response = await host.Client.SendAsync(Signing.SlackRequest("/api/chatops/slack/commands", SigningSecret, form));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<JsonElement> ReplyAsync(HttpSink sink, string path) =>
        JsonDocument.Parse((await Eventually.ValueAsync(() => Task.FromResult(sink.Received.FirstOrDefault(r => r.Path == path)), Wait, "the reply on response_url")).Body).RootElement;

    [Fact]
    public async Task A_command_from_a_user_without_the_role_gets_a_clear_refusal_in_chat_and_an_audit_entry()
    {
        var (host, sink, component) = await StartAsync(azurite);
        await using var _ = host;
        await using var __ = sink;
        host.Directory.AddUser("viewer-" + component, ["group:default/readers"], slackId: "U0VIEWER");
        host.Policy.Grant("group:default/readers", Permissions.DeploymentRead);

        var ack = await PostCommandAsync(host, CommandForm("U0VIEWER", $"deploy {component} prod 1.3.0", sink.Url + "/commands/refusal"));
        var reply = await ReplyAsync(sink, "/commands/refusal");

        Assert.Equal("ephemeral", ack.GetProperty("response_type").GetString());
        Assert.Contains("Working on it", ack.GetProperty("text").GetString(), StringComparison.Ordinal);
        var text = reply.GetProperty("text").GetString()!;
        Assert.Contains("not allowed", text, StringComparison.Ordinal);
        Assert.Contains($"missing permission `{Permissions.DeploymentCreate}`", text, StringComparison.Ordinal);
        Assert.Contains("prod", text, StringComparison.Ordinal);
        Assert.Equal("ephemeral", reply.GetProperty("response_type").GetString());
        var audit = Assert.Single(host.Audit.Events, a => a.Action == "chat.deploy" && a.Target == $"component:default/{component}");
        Assert.Equal(AuditOutcomes.Denied, audit.Outcome);
        Assert.Equal(Channels.Chat, audit.Caller.Channel);
        Assert.Equal($"user:default/viewer-{component}", audit.Caller.UserRef);
        Assert.Equal(Permissions.DeploymentCreate, audit.Detail!["permission"]);
        Assert.DoesNotContain(host.Deployments.Started, s => s.Request.Component == $"component:default/{component}");
    }

    [Fact]
    public async Task A_command_from_an_owner_deploys_as_that_user_and_posts_the_result()
    {
        var (host, sink, component) = await StartAsync(azurite);
        await using var _ = host;
        await using var __ = sink;
        host.Directory.AddUser("owner-" + component, ["group:default/payments"], slackId: "U0OWNER");
        host.Policy.Grant("group:default/payments", Permissions.DeploymentCreate, Permissions.DeploymentRead);

        await PostCommandAsync(host, CommandForm("U0OWNER", $"deploy {component} prod", sink.Url + "/commands/deploy"));
        var reply = await ReplyAsync(sink, "/commands/deploy");

        var started = Assert.Single(host.Deployments.Started, s => s.Request.Component == $"component:default/{component}");
        Assert.Equal("prod", started.Request.Environment);
        Assert.Equal("1.2.2", started.Request.Version); // the version running in the environment before prod
        Assert.Equal($"user:default/owner-{component}", started.Caller.UserRef);
        Assert.Equal(Channels.Chat, started.Caller.Channel);
        Assert.Contains("Deploying", reply.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("in_channel", reply.GetProperty("response_type").GetString());
        await Eventually.TrueAsync(() => Task.FromResult(host.Audit.Events.Any(a => a.Action == "chat.deploy" && a.Outcome == AuditOutcomes.Success)), Wait, "the audit entry");

        await PostCommandAsync(host, CommandForm("U0OWNER", $"status component:default/{component}", sink.Url + "/commands/status"));
        var status = (await ReplyAsync(sink, "/commands/status")).GetProperty("text").GetString()!;
        Assert.Contains("`dev`: 1.2.2 (Succeeded", status, StringComparison.Ordinal);
        Assert.Contains("`prod` :lock:: 1.2.1 (Running", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsigned_wrongly_signed_and_replayed_requests_get_401_and_nothing_happens()
    {
        var (host, sink, component) = await StartAsync(azurite);
        await using var _ = host;
        await using var __ = sink;
        host.Directory.AddUser("owner2-" + component, ["group:default/payments"], slackId: "U0OWNER2");
        host.Policy.Grant("group:default/payments", Permissions.DeploymentCreate);
        var form = CommandForm("U0OWNER2", $"deploy {component} dev 9.9.9", sink.Url + "/commands/never");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var requests = new[]
        {
            Signing.SlackRequest("/api/chatops/slack/commands", SigningSecret, form, sign: false),
            Signing.SlackRequest("/api/chatops/slack/commands", SigningSecret, form, overrideSignature: Signing.Slack("wrong-secret", now, form)),
            Signing.SlackRequest("/api/chatops/slack/commands", SigningSecret, form, overrideSignature: Signing.Slack(SigningSecret, now, form + "&x=1")),
            Signing.SlackRequest("/api/chatops/slack/commands", SigningSecret, form, timestamp: now - 6 * 60),
            Signing.SlackRequest("/api/chatops/slack/commands", SigningSecret, form, timestamp: now + 6 * 60),
            Signing.SlackRequest("/api/chatops/slack/actions", SigningSecret, "payload=" + Uri.EscapeDataString("{}"), timestamp: now - 301),
        };
        foreach (var request in requests)
        {
            using var response = await host.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // A valid command afterwards is answered, so the pipeline was alive while the refused ones were (not) processed.
        await PostCommandAsync(host, CommandForm("U0OWNER2", "whoami", sink.Url + "/commands/alive"));
        var whoami = await ReplyAsync(sink, "/commands/alive");
        Assert.Contains($"user:default/owner2-{component}", whoami.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(sink.Received, r => r.Path == "/commands/never");
        Assert.DoesNotContain(host.Deployments.Started, s => s.Request.Component == $"component:default/{component}");
    }

    [Fact]
    public async Task An_approve_button_press_approves_the_deployment_and_replaces_the_message()
    {
        var (host, sink, component) = await StartAsync(azurite);
        await using var _ = host;
        await using var __ = sink;
        var deploymentId = "d-" + Guid.NewGuid().ToString("N")[..10];
        host.Deployments.Summaries[deploymentId] = new DeploymentSummary(deploymentId, $"component:default/{component}", "prod", "1.3.0", "WaitingForApproval", "user:default/jane", DateTimeOffset.UtcNow, null);
        host.Directory.AddUser("approver-" + component, ["group:default/leads"], slackId: "U0APPROVER");
        host.Policy.Grant("group:default/leads", Permissions.DeploymentApprove);
        var payload = JsonSerializer.Serialize(new
        {
            type = "block_actions",
            user = new { id = "U0APPROVER", username = "lead", team_id = "T0001" },
            api_app_id = "A123456",
            token = "9s8d9as89d8as9d8as989",
            container = new { type = "message", message_ts = "1548261231.000200", channel_id = "C2147483705", is_ephemeral = false },
            trigger_id = "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
            team = new { id = "T0001", domain = "example" },
            channel = new { id = "C2147483705", name = "deploys" },
            response_url = sink.Url + "/commands/button",
            actions = new[] { new { action_id = "idp-approve", block_id = "idp-approval", value = $"approve:{deploymentId}", type = "button", action_ts = "1548426417.840180" } },
        });
        var form = "payload=" + Uri.EscapeDataString(payload);

        using var response = await host.Client.SendAsync(Signing.SlackRequest("/api/chatops/slack/actions", SigningSecret, form));
        var reply = await ReplyAsync(sink, "/commands/button");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var control = Assert.Single(host.Deployments.Controls, c => c.DeploymentId == deploymentId);
        Assert.Equal(DeploymentControls.Approve, control.Control);
        Assert.Equal($"user:default/approver-{component}", control.Caller.UserRef);
        Assert.True(reply.GetProperty("replace_original").GetBoolean());
        Assert.Contains("Approved", reply.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slack_user_not_linked_to_a_catalog_user_is_told_how_to_link_and_audited()
    {
        var (host, sink, component) = await StartAsync(azurite);
        await using var _ = host;
        await using var __ = sink;

        await PostCommandAsync(host, CommandForm("U0STRANGER", $"rollback {component} prod", sink.Url + "/commands/stranger"));
        var reply = await ReplyAsync(sink, "/commands/stranger");

        Assert.Contains("slack.com/user-id: U0STRANGER", reply.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains(host.Audit.Events, a => a.Action == "chat.rollback" && a.Outcome == AuditOutcomes.Denied && a.Caller.UserRef == "slack:U0STRANGER");
    }

    [Fact]
    public async Task Help_is_answered_at_once_and_unknown_commands_get_the_usage()
    {
        var (host, sink, _) = await StartAsync(azurite);
        await using var h = host;
        await using var s = sink;
        host.Directory.AddUser("someone", [], slackId: "U0SOMEONE");

        var help = await PostCommandAsync(host, CommandForm("U0SOMEONE", "help", sink.Url + "/commands/help"));
        await PostCommandAsync(host, CommandForm("U0SOMEONE", "explode everything", sink.Url + "/commands/unknown"));
        var unknown = await ReplyAsync(sink, "/commands/unknown");

        Assert.Contains("canary pause|resume|abort|promote", help.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("I do not know `explode`", unknown.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("approve <deployment-id>", unknown.GetProperty("text").GetString(), StringComparison.Ordinal);
    }
}
