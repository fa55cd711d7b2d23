using System.Net;
using System.Text.Json;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Webhooks;

/// <summary>
/// Webhook secrets the operator has not configured: no secret at all, or a reference without its value, is a 503
/// naming the setting (not a 500); a repository that only lacks a secret of its own stays a 401.
/// </summary>
[Collection("azurite")]
public class WebhooksNotConfiguredTests(AzuriteFixture azurite)
{
    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    [Fact]
    public async Task Without_any_secret_every_delivery_is_a_503_naming_the_settings_and_the_start_says_so()
    {
        await using var host = await EventsAppHost.StartAsync(azurite);
        var body = ProviderPayloads.GitHubPush("acme", "unconfigured", "main", new string('a', 40), ["src/a.cs"]);
        using var github = await host.Client.SendAsync(Signing.GitHubRequest(body, "push", Guid.NewGuid().ToString(), Signing.GitHub("x", body)));
        var problem = await ProblemAsync(github, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("https://idpserverless.dev/problems/not-configured", problem.GetProperty("type").GetString());
        Assert.Contains("Webhooks__GitHub__DefaultSecret", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var gitlab = await host.Client.SendAsync(Signing.GitLabRequest("{\"object_kind\":\"push\"}", "Push Hook", Guid.NewGuid().ToString(), "token"));
        problem = await ProblemAsync(gitlab, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("Webhooks__GitLab__DefaultSecret", problem.GetProperty("settings").EnumerateArray().Select(s => s.GetString()));

        Assert.Single(host.Logs.Entries, e => e.EventId == 1401 && e.Message.StartsWith("Feature off: GitHub webhooks:", StringComparison.Ordinal));
        Assert.Single(host.Logs.Entries, e => e.EventId == 1401 && e.Message.StartsWith("Feature off: GitLab webhooks:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reference_whose_value_is_not_set_is_a_503_naming_it_and_other_repositories_still_get_401()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Webhooks__GitHub__Secrets__acme__broken"] = "local:gh-broken",
            ["Webhooks__GitHub__Secrets__acme__fine"] = "local:gh-fine",
            ["Secrets__gh-fine"] = "fine-secret",
        });
        var broken = ProviderPayloads.GitHubPush("acme", "broken", "main", new string('b', 40), ["src/a.cs"]);
        using var refused = await host.Client.SendAsync(Signing.GitHubRequest(broken, "push", Guid.NewGuid().ToString(), Signing.GitHub("x", broken)));
        var problem = await ProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("Secrets__gh-broken", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("fine-secret", problem.GetRawText(), StringComparison.Ordinal);

        var other = ProviderPayloads.GitHubPush("acme", "other", "main", new string('c', 40), ["src/a.cs"]);
        using var unknown = await host.Client.SendAsync(Signing.GitHubRequest(other, "push", Guid.NewGuid().ToString(), Signing.GitHub("x", other)));
        await ProblemAsync(unknown, HttpStatusCode.Unauthorized);

        var off = Assert.Single(host.Logs.Entries, e => e.EventId == 1401 && e.Message.Contains("Webhooks__GitHub__Secrets__acme__broken", StringComparison.Ordinal));
        Assert.Contains("Secrets__gh-broken", off.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.Entries, e => e.EventId == 1401 && e.Message.Contains("acme__fine", StringComparison.Ordinal));
    }
}
