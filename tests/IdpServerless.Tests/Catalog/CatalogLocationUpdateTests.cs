using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IdpServerless.Tests.Infrastructure;
using static IdpServerless.Tests.Catalog.CatalogEndpointsTests;

namespace IdpServerless.Tests.Catalog;

/// <summary>
/// Backstage's <c>PUT /locations/{id}</c> and the paging of <c>POST /locations/by-query</c>, against an app of their own
/// (these tests change locations, which the shared catalog of <see cref="CatalogEndpointsTests"/> must not see).
/// </summary>
[Collection("azurite")]
public class CatalogLocationUpdateTests(AzuriteFixture azurite, SharedCatalogApp shared) : IClassFixture<SharedCatalogApp>
{
    private static string Component(string name) => $"""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
        spec:
          type: service
          lifecycle: production
          owner: team-a
        """;

    [Fact]
    public async Task Put_moves_a_location_to_a_new_target_and_refuses_without_writing_anything()
    {
        var app = await shared.GetAsync(azurite);
        var a = (await app.RegisterOkAsync(app.Write("put/a.yaml", Component("put-a"))))["location"]!;
        var b = (await app.RegisterOkAsync(app.Write("put/b.yaml", Component("put-b"))))["location"]!;
        var id = a["id"]!.GetValue<string>();
        var c = app.Write("put/c.yaml", Component("put-c"));

        using (var moved = await app.Http.PutAsJsonAsync($"/api/catalog/locations/{id}", new { type = "file", target = c }))
        {
            var text = await moved.Content.ReadAsStringAsync();
            Assert.True(moved.StatusCode == HttpStatusCode.OK, text);
            var body = JsonNode.Parse(text)!.AsObject();
            Assert.Equal(id, body["id"]!.GetValue<string>());
            Assert.Equal(c, body["target"]!.GetValue<string>());
            Assert.StartsWith("location:default/generated-", body["entityRef"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Equal(c, (await app.GetJsonAsync($"/api/catalog/locations/{id}"))["target"]!.GetValue<string>());
        Assert.Equal(id, (await app.GetJsonAsync("/api/catalog/locations/by-entity/component/default/put-c"))["id"]!.GetValue<string>());
        // The old target's entity is no longer emitted: an orphan, as after a refresh that dropped it.
        Assert.Equal("true", (await app.EntityAsync("component", "put-a"))!["metadata"]!["annotations"]!["backstage.io/orphan"]!.GetValue<string>());

        // The old target is free again: it can be registered anew.
        _ = await app.RegisterOkAsync(Path.Combine(app.Folder, "put", "a.yaml"));

        // Refusals: another location's target (409), an entity another location owns (409), an invalid file (400),
        // a missing field (400), an unknown type (400), an unknown id (404). None of them changes the location.
        await AssertInputErrorAsync(await app.Http.PutAsJsonAsync($"/api/catalog/locations/{id}", new { type = "file", target = b["target"]!.GetValue<string>() }), "already exists", HttpStatusCode.Conflict);
        var stealsB = app.Write("put/steals-b.yaml", Component("put-b"));
        await AssertInputErrorAsync(await app.Http.PutAsJsonAsync($"/api/catalog/locations/{id}", new { type = "file", target = stealsB }), "put-b", HttpStatusCode.Conflict);
        var invalid = app.Write("put/invalid.yaml", Component("Not A Name"));
        await AssertInputErrorAsync(await app.Http.PutAsJsonAsync($"/api/catalog/locations/{id}", new { type = "file", target = invalid }), "metadata.name");
        await AssertInputErrorAsync(await app.Http.PutAsJsonAsync($"/api/catalog/locations/{id}", new { type = "file" }), "target");
        await AssertInputErrorAsync(await app.Http.PutAsJsonAsync($"/api/catalog/locations/{id}", new { type = "ftp", target = c }), "type");
        await AssertInputErrorAsync(await app.Http.PutAsJsonAsync("/api/catalog/locations/no-such-id", new { type = "file", target = c }), "no-such-id", HttpStatusCode.NotFound);

        Assert.Equal(c, (await app.GetJsonAsync($"/api/catalog/locations/{id}"))["target"]!.GetValue<string>());
        Assert.Equal(id, (await app.GetJsonAsync("/api/catalog/locations/by-entity/component/default/put-c"))["id"]!.GetValue<string>());
        Assert.Equal(b["id"]!.GetValue<string>(), (await app.GetJsonAsync("/api/catalog/locations/by-entity/component/default/put-b"))["id"]!.GetValue<string>());
        using (var stale = await app.Http.PostAsJsonAsync("/api/catalog/locations", new { type = "file", target = c }))
        {
            Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        }
    }

    [Fact]
    public async Task Locations_by_query_pages_with_a_cursor_that_keeps_the_query()
    {
        var app = await shared.GetAsync(azurite);
        foreach (var name in new[] { "page-1", "page-2", "page-3" })
        {
            await app.RegisterOkAsync(app.Write($"paged/{name}.yaml", Component(name)));
        }

        var prefix = Path.Combine(app.Folder, "paged");
        var query = new JsonObject { ["target"] = new JsonObject { ["$hasPrefix"] = prefix } };
        var targets = new List<string>();
        var page = await PostJsonAsync(app, "/api/catalog/locations/by-query", new { query, limit = 2 });
        Assert.Equal(3, page["totalItems"]!.GetValue<int>());
        while (true)
        {
            targets.AddRange(page["items"]!.AsArray().Select(i => i!["target"]!.GetValue<string>()));
            if (page["pageInfo"]!["nextCursor"] is not { } next)
            {
                break;
            }

            page = await PostJsonAsync(app, "/api/catalog/locations/by-query", new { cursor = next.GetValue<string>(), limit = 2 });
        }

        Assert.Equal([.. new[] { "page-1", "page-2", "page-3" }.Select(n => Path.Combine(prefix, n + ".yaml"))], targets);
    }
}
