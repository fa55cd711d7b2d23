using System.Net;
using System.Text.Json;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.ChatOps;

/// <summary>Without a Slack signing secret, ChatOps tells the operator what to set (503) instead of failing (500), and says so at start.</summary>
[Collection("azurite")]
public class ChatOpsNotConfiguredTests(AzuriteFixture azurite)
{
    private const string VaultToken = "hvs.chatops-vault-token-never-shown";

    public static TheoryData<string, string, string> Configurations => new()
    {
        // no settings at all: the default reference local:slack-signing-secret has no value
        { "default", string.Empty, "Secrets__slack-signing-secret" },
        // a Vault reference while Vault's address is missing (its token is set, and must not leak)
        { "vault", "vault:secret/slack#signing", "IDP_VAULT_ADDR" },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Slack_requests_get_a_503_naming_the_setting_and_nothing_else_happens(string name, string reference, string setting)
    {
        var settings = new Dictionary<string, string?> { ["IDP_VAULT_TOKEN"] = VaultToken };
        if (reference.Length > 0)
        {
            settings["ChatOps__SigningSecretRef"] = reference;
        }

        await using var host = await EventsAppHost.StartAsync(azurite, settings);
        var form = $"user_id=U0{name}&text=status%20payments&response_url={Uri.EscapeDataString("https://hooks.slack.com/commands/x")}";
        foreach (var path in new[] { "/api/chatops/slack/commands", "/api/chatops/slack/actions" })
        {
            foreach (var signed in new[] { true, false })
            {
                using var response = await host.Client.SendAsync(Signing.SlackRequest(path, "any-secret", form, sign: signed));
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path}: {(int)response.StatusCode} {body}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                var problem = JsonDocument.Parse(body).RootElement;
                Assert.Equal("https://idpserverless.dev/problems/not-configured", problem.GetProperty("type").GetString());
                Assert.Contains("ChatOps", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
                Assert.Contains(setting, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
                Assert.Contains(setting, problem.GetProperty("settings").EnumerateArray().Select(s => s.GetString()));
                Assert.DoesNotContain(VaultToken, body, StringComparison.Ordinal);
            }
        }

        Assert.Empty(host.Deployments.Started);
        Assert.Equal(4, host.Logs.Entries.Count(e => e.EventId == 8301 && e.Message.Contains(setting, StringComparison.Ordinal)));
        var startup = Assert.Single(host.Logs.Entries, e => e.EventId == 1401 && e.Message.StartsWith("Feature off: ChatOps", StringComparison.Ordinal));
        Assert.Contains(setting, startup.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains(VaultToken, StringComparison.Ordinal));
    }
}
