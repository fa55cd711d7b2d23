using System.Net;
using System.Net.Http.Json;
using IdpServerless.Functions.Notifications;
using IdpServerless.Storage;
using IdpServerless.Tests.Events;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Notifications;

/// <summary>Helpers shared by the notification tests: a team owning a component, subscribing through the API, publishing.</summary>
public static class NotificationTestKit
{
    public static (string Team, string Component, string Owner) Team(EventsAppHost host)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var team = $"group:default/team-{suffix}";
        var component = $"component:default/app-{suffix}";
        host.Directory.AddUser("owner-" + suffix, [team]);
        host.Directory.Owners[component] = [team];
        return (team, component, $"user:default/owner-{suffix}");
    }

    public static async Task<Subscription> SubscribeAsync(EventsAppHost host, string asUser, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/notifications/subscriptions") { Content = JsonContent.Create(body) };
        request.Headers.Add(EventsAppHost.TestUserHeader, asUser);
        using var response = await host.Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<Subscription>())!;
    }

    public static NotificationEvent Event(string type, string component, string environment, string subject, string version = "1.2.3", string severity = "info") =>
        new(type, component, environment, subject, $"{subject} {type}", $"Details of {subject}.", severity,
            [new NotificationLink("Deployment", $"https://idp.example.com/deployments/{subject}")],
            new Dictionary<string, string> { ["version"] = version, ["requestedBy"] = "user:default/jane" });

    public static Task PublishAsync(EventsAppHost host, NotificationEvent e) =>
        host.Services.GetRequiredService<INotificationPublisher>().PublishAsync(e, CancellationToken.None);

    /// <summary>How many deliveries of this subscription were sent (rows of the sent table).</summary>
    public static async Task<int> SentCountAsync(EventsAppHost host, string subscriptionId)
    {
        var table = host.Storage.GetTable(DeliverNotification.SentTable);
        var n = 0;
        try
        {
            await foreach (var row in table.QueryAsync())
            {
                n += TableKeys.Unescape(row.PartitionKey).EndsWith("." + subscriptionId, StringComparison.Ordinal) ? 1 : 0;
            }
        }
        catch (StorageNotFoundException)
        {
        }

        return n;
    }
}
