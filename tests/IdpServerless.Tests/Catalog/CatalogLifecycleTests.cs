using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Catalog;

/// <summary>
/// The catalog over time: refreshes by queue message and by timer, orphans, conflicts between locations, stale
/// entities, and several app instances seeing each other's changes.
/// </summary>
[Collection("azurite")]
public class CatalogLifecycleTests(AzuriteFixture azurite)
{
    private static string Component(string name, string owner = "team-a") => $"""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
        spec:
          type: service
          lifecycle: production
          owner: {owner}
        """;

    [Fact]
    public async Task A_queue_message_refreshes_a_location_and_an_entity_it_no_longer_emits_becomes_an_orphan()
    {
        await using var app = await CatalogTestApp.StartAsync(azurite);
        var file = app.Write("svc/catalog-info.yaml", Component("keeper") + "\n---\n" + Component("leaver"));
        var registered = await app.RegisterOkAsync(file);
        var locationId = registered["location"]!["id"]!.GetValue<string>();
        var leaverUid = (await app.EntityAsync("component", "leaver"))!["metadata"]!["uid"]!.GetValue<string>();

        app.Write("svc/catalog-info.yaml", Component("keeper", owner: "team-b"));
        await SendRefreshAsync(app, new { target = "file:" + file });

        var keeper = await Eventually.ValueAsync(async () => await app.EntityAsync("component", "keeper") is { } e && e["spec"]!["owner"]!.GetValue<string>() == "team-b" ? e : null, TimeSpan.FromSeconds(30), "the refreshed owner");
        Assert.Equal(["group:default/team-b"], CatalogTestApp.Relations(keeper, "ownedBy"));
        var leaver = (await app.EntityAsync("component", "leaver"))!;
        Assert.Equal("true", leaver["metadata"]!["annotations"]!["backstage.io/orphan"]!.GetValue<string>());
        Assert.Equal(leaverUid, leaver["metadata"]!["uid"]!.GetValue<string>());
        var orphans = await app.GetJsonAsync("/api/catalog/entities/by-query?filter=metadata.annotations.backstage.io/orphan=true&fields=metadata.name");
        Assert.Equal("leaver", Assert.Single(orphans["items"]!.AsArray())!["metadata"]!["name"]!.GetValue<string>());

        // Deleting an orphan by uid removes it for good; the location keeps its live entity.
        using var delete = await app.Http.DeleteAsync($"/api/catalog/entities/by-uid/{leaverUid}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Null(await app.EntityAsync("component", "leaver"));
        var status = await app.GetJsonAsync($"/api/catalog/locations/{locationId}/status");
        Assert.Equal(1, status["entityCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_location_that_starts_emitting_an_entity_another_owns_reports_the_conflict_and_the_first_keeps_it()
    {
        await using var app = await CatalogTestApp.StartAsync(azurite);
        await app.RegisterOkAsync(app.Write("first.yaml", Component("shared")));
        var second = app.Write("second.yaml", Component("own"));
        var secondId = (await app.RegisterOkAsync(second))["location"]!["id"]!.GetValue<string>();

        app.Write("second.yaml", Component("own") + "\n---\n" + Component("shared", owner: "thief"));
        await SendRefreshAsync(app, new { locationId = secondId });

        var status = await Eventually.ValueAsync(async () =>
        {
            var s = await app.GetJsonAsync($"/api/catalog/locations/{secondId}/status");
            return s["status"]!.GetValue<string>() == "conflict" ? s : null;
        }, TimeSpan.FromSeconds(30), "the conflict on the second location's status");
        var conflict = Assert.Single(status["conflicts"]!.AsArray())!;
        Assert.Equal("component:default/shared", conflict["entityRef"]!.GetValue<string>());
        Assert.Contains("first.yaml", conflict["claimedByTarget"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("team-a", (await app.EntityAsync("component", "shared"))!["spec"]!["owner"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_refresh_timer_picks_up_changed_files_and_entities_not_refreshed_in_time_are_reported_stale()
    {
        await using var app = await CatalogTestApp.StartAsync(azurite, new Dictionary<string, string>
        {
            ["Catalog__RefreshSchedule"] = "*/2 * * * * *",
            ["Catalog__StaleAfter"] = "00:00:03",
        });
        var file = app.Write("timer.yaml", Component("ticking"));
        await app.RegisterOkAsync(file);
        app.Write("timer.yaml", Component("ticking", owner: "team-timer"));
        await Eventually.TrueAsync(async () => (await app.EntityAsync("component", "ticking"))?["spec"]?["owner"]?.GetValue<string>() == "team-timer", TimeSpan.FromSeconds(30), "the timer's refresh");

        // Once the file disappears, refreshes fail, the entity is kept (not orphaned: nothing says it is gone) and goes stale.
        File.Delete(file);
        var stale = await Eventually.ValueAsync(async () =>
        {
            var s = await app.GetJsonAsync("/api/catalog/stale-entities");
            return s["totalItems"]!.GetValue<int>() == 1 ? s : null;
        }, TimeSpan.FromSeconds(30), "the stale report");
        Assert.Equal("component:default/ticking", stale["items"]![0]!["entityRef"]!.GetValue<string>());
        Assert.Null((await app.EntityAsync("component", "ticking"))!["metadata"]!["annotations"]!["backstage.io/orphan"]);
        var location = JsonNode.Parse(await app.Http.GetStringAsync("/api/catalog/locations"))!.AsArray()[0]!["data"]!["id"]!.GetValue<string>();
        var status = await app.GetJsonAsync($"/api/catalog/locations/{location}/status");
        Assert.Equal("error", status["status"]!.GetValue<string>());
        Assert.Contains("does not exist", status["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_on_one_instance_is_visible_on_another_within_seconds()
    {
        await using var app = await CatalogTestApp.StartAsync(azurite, instances: 2);
        var a = app.Instances[0].Http;
        var b = app.Instances[1].Http;
        var file = app.Write("multi.yaml", Component("everywhere"));
        using (var registered = await app.RegisterAsync(file, http: a))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        var started = DateTime.UtcNow;
        await Eventually.TrueAsync(async () => await app.EntityAsync("component", "everywhere", http: b) is not null, TimeSpan.FromSeconds(30), "the entity on instance B");
        // The change feed polls every 250 ms here; the margin is for a machine shared with other builds.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), $"instance B took {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        var search = await app.GetJsonAsync("/api/catalog/entities/by-query?fullTextFilterTerm=everywher", b);
        Assert.Equal(1, search["totalItems"]!.GetValue<int>());

        var location = JsonNode.Parse(await b.GetStringAsync("/api/catalog/locations"))!.AsArray();
        Assert.Single(location);
        var uid = (await app.EntityAsync("component", "everywhere", http: a))!["metadata"]!["uid"]!.GetValue<string>();
        using (var deleted = await b.DeleteAsync($"/api/catalog/entities/by-uid/{uid}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await Eventually.TrueAsync(async () => await app.EntityAsync("component", "everywhere", http: a) is null, TimeSpan.FromSeconds(10), "the deletion on instance A");
    }

    [Fact]
    public async Task Refresh_by_entity_ref_queues_its_locations_refresh()
    {
        await using var app = await CatalogTestApp.StartAsync(azurite);
        app.Write("refresh.yaml", Component("fresh"));
        await app.RegisterOkAsync(Path.Combine(app.Folder, "refresh.yaml"));
        app.Write("refresh.yaml", Component("fresh", owner: "team-refreshed"));
        using var response = await app.Http.PostAsync("/api/catalog/refresh", new StringContent("""{"entityRef":"component:default/fresh"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.TrueAsync(async () => (await app.EntityAsync("component", "fresh"))?["spec"]?["owner"]?.GetValue<string>() == "team-refreshed", TimeSpan.FromSeconds(30), "the refresh");
        using var unknown = await app.Http.PostAsync("/api/catalog/refresh", new StringContent("""{"entityRef":"component:default/nope"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private async Task SendRefreshAsync(CatalogTestApp app, object message)
    {
        var queue = azurite.CreateClient().GetQueue(app.RefreshQueue);
        await queue.CreateIfNotExistsAsync();
        await queue.SendAsync(JsonSerializer.Serialize(message));
    }
}
