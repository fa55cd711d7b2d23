using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Notifications;

/// <summary>Who may manage which team's subscriptions, and what a subscription must look like.</summary>
[Collection("azurite")]
public class SubscriptionApiTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Members_manage_their_own_team_admins_any_team_and_others_are_refused_and_audited()
    {
        await using var host = await EventsAppHost.StartAsync(azurite);
        var (team, component, owner) = NotificationTestKit.Team(host);
        var (otherTeam, _, outsider) = NotificationTestKit.Team(host);
        host.Directory.AddUser("notify-admin", []);
        host.Policy.Grant("user:default/notify-admin", Permissions.NotificationAdmin, Permissions.NotificationRead);
        var body = new { team, component, events = new[] { "deployment.failed" }, channel = new { type = "slack", webhookUrlRef = "local:team-slack" } };

        var created = await NotificationTestKit.SubscribeAsync(host, owner, body);
        using var refused = await SendAsync(host, HttpMethod.Post, "/api/notifications/subscriptions", outsider, body);
        var byAdmin = await NotificationTestKit.SubscribeAsync(host, "user:default/notify-admin", body with { });

        Assert.Equal(team, created.Team);
        Assert.Equal(component, created.Component);
        Assert.Equal(owner, created.CreatedBy);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Permissions.NotificationAdmin, problem.GetProperty("permission").GetString());
        Assert.Contains(host.Audit.Events, a => a.Outcome == AuditOutcomes.Denied && a.Caller.UserRef == outsider && a.Target == team);
        Assert.NotEqual(otherTeam, team);

        var list = await GetAsync(host, $"/api/notifications/subscriptions?team={Uri.EscapeDataString(team)}", owner);
        Assert.Equal(2, list.GetProperty("items").GetArrayLength());

        using var outsiderDelete = await SendAsync(host, HttpMethod.Delete, $"/api/notifications/subscriptions/{created.Id}", outsider, null);
        using var ownerDelete = await SendAsync(host, HttpMethod.Delete, $"/api/notifications/subscriptions/{created.Id}", owner, null);
        using var again = await SendAsync(host, HttpMethod.Delete, $"/api/notifications/subscriptions/{created.Id}", owner, null);
        Assert.Equal(HttpStatusCode.Forbidden, outsiderDelete.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, ownerDelete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        var after = await GetAsync(host, $"/api/notifications/subscriptions?team={Uri.EscapeDataString(team)}", owner);
        Assert.Equal(byAdmin.Id, after.GetProperty("items")[0].GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("{\"channel\":{\"type\":\"slack\",\"webhookUrlRef\":\"local:x\"}}", "team")]
    [InlineData("{\"team\":\"group:default/t\",\"channel\":{\"type\":\"slack\",\"webhookUrlRef\":\"https://hooks.slack.com/services/T/B/secret\"}}", "channel.webhookUrlRef")]
    [InlineData("{\"team\":\"group:default/t\",\"channel\":{\"type\":\"pagerduty\",\"routingKeyRef\":\"abc123\"}}", "channel.routingKeyRef")]
    [InlineData("{\"team\":\"group:default/t\",\"channel\":{\"type\":\"carrier-pigeon\"}}", "channel.type")]
    [InlineData("{\"team\":\"group:default/t\",\"events\":[\"deployment.exploded\"],\"channel\":{\"type\":\"local\"}}", "events")]
    [InlineData("{\"team\":\"group:default/t\",\"channel\":{\"type\":\"email\",\"to\":[\"not an address\"]}}", "channel.to")]
    [InlineData("{\"team\":\"group:default/t\",\"channel\":{\"type\":\"webhook\",\"url\":\"ftp://x\",\"secretRef\":\"local:k\"}}", "channel.url")]
    [InlineData("{\"team\":\"Not A Group!\",\"channel\":{\"type\":\"local\"}}", "team")]
    public async Task An_invalid_subscription_gets_422_naming_the_field_and_is_not_stored(string json, string field)
    {
        await using var host = await EventsAppHost.StartAsync(azurite);
        host.Directory.AddUser("member-of-t", ["group:default/t"]);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/notifications/subscriptions") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add(EventsAppHost.TestUserHeader, "user:default/member-of-t");

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.DoesNotContain("hooks.slack.com/services/T/B/secret", problem.ToString(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> GetAsync(EventsAppHost host, string path, string user)
    {
        using var response = await SendAsync(host, HttpMethod.Get, path, user, null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static Task<HttpResponseMessage> SendAsync(EventsAppHost host, HttpMethod method, string path, string user, object? body)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add(EventsAppHost.TestUserHeader, user);
        return host.Client.SendAsync(request);
    }
}
