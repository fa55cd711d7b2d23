using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Catalog;

/// <summary>The rest of Backstage's catalog API against the real app: refs, uids, ancestry, locations, facets, paging, validation.</summary>
[Collection("azurite")]
public class CatalogEndpointsTests(AzuriteFixture azurite, SharedCatalogApp shared) : IClassFixture<SharedCatalogApp>
{
    private Task<CatalogTestApp> AppAsync() => shared.GetAsync(azurite, async app => await app.RegisterOkAsync(BackstageCatalog.WriteTo(app)));

    [Fact]
    public async Task By_refs_keeps_the_order_and_answers_null_for_missing_refs()
    {
        var app = await AppAsync();
        using var response = await app.Http.PostAsJsonAsync("/api/catalog/entities/by-refs", new { entityRefs = new[] { "api:svc-api", "component:default/nope", "Component:default/SVC" }, fields = new[] { "metadata.name", "kind" } });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var items = body["items"]!.AsArray();
        Assert.Equal(3, items.Count);
        Assert.Equal("svc-api", items[0]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Null(items[1]);
        Assert.Equal("Component", items[2]!["kind"]!.GetValue<string>());
        Assert.Null(items[2]!["spec"]);
    }

    [Fact]
    public async Task An_entity_is_found_by_uid_and_deleting_it_by_uid_answers_204_either_way()
    {
        var app = await AppAsync();
        var cache = (await app.EntityAsync("resource", "cache"))!;
        var uid = cache["metadata"]!["uid"]!.GetValue<string>();
        var byUid = await app.GetJsonAsync($"/api/catalog/entities/by-uid/{uid}");
        Assert.Equal("cache", byUid["metadata"]!["name"]!.GetValue<string>());
        using var missing = await app.Http.GetAsync("/api/catalog/entities/by-uid/no-such-uid");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var problem = JsonNode.Parse(await missing.Content.ReadAsStringAsync())!;
        Assert.Equal("NotFoundError", problem["error"]!["name"]!.GetValue<string>());
        Assert.Equal(404, problem["response"]!["statusCode"]!.GetValue<int>());
        Assert.Equal("application/json", missing.Content.Headers.ContentType!.MediaType);
        using var delete = await app.Http.DeleteAsync("/api/catalog/entities/by-uid/no-such-uid");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
    }

    [Fact]
    public async Task Ancestry_leads_from_an_entity_to_the_location_entity_that_named_its_file()
    {
        var app = await AppAsync();
        var ancestry = await app.GetJsonAsync("/api/catalog/entities/by-name/component/default/svc/ancestry");
        Assert.Equal("component:default/svc", ancestry["rootEntityRef"]!.GetValue<string>());
        var items = ancestry["items"]!.AsArray();
        Assert.Equal(2, items.Count);
        Assert.Equal("location:default/example-root", items[0]!["parentEntityRefs"]![0]!.GetValue<string>());
        Assert.Equal("example-root", items[1]!["entity"]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Empty(items[1]!["parentEntityRefs"]!.AsArray());
    }

    [Fact]
    public async Task Locations_are_listed_read_and_found_by_entity_and_a_second_registration_is_a_conflict()
    {
        var app = await AppAsync();
        var list = JsonNode.Parse(await app.Http.GetStringAsync("/api/catalog/locations"))!.AsArray();
        var location = Assert.Single(list)!["data"]!;
        var id = location["id"]!.GetValue<string>();
        Assert.Equal("file", location["type"]!.GetValue<string>());
        var byId = await app.GetJsonAsync($"/api/catalog/locations/{id}");
        Assert.Equal(location["target"]!.GetValue<string>(), byId["target"]!.GetValue<string>());
        var byEntity = await app.GetJsonAsync("/api/catalog/locations/by-entity/user/ops/sam");
        Assert.Equal(id, byEntity["id"]!.GetValue<string>());
        var status = await app.GetJsonAsync($"/api/catalog/locations/{id}/status");
        Assert.Equal("ok", status["status"]!.GetValue<string>());
        Assert.Equal(14, status["entityCount"]!.GetValue<int>());

        using var again = await app.RegisterAsync(location["target"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already exists", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var dryRun = await app.RegisterAsync(location["target"]!.GetValue<string>(), dryRun: true);
        var dry = JsonNode.Parse(await dryRun.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Created, dryRun.StatusCode);
        Assert.True(dry["exists"]!.GetValue<bool>());
        Assert.Equal(14, dry["entities"]!.AsArray().Count);
    }

    [Fact]
    public async Task Facets_count_values_within_the_filter()
    {
        var app = await AppAsync();
        var facets = await app.GetJsonAsync("/api/catalog/entity-facets?facet=kind&facet=spec.lifecycle&filter=kind=component");
        var kind = facets["facets"]!["kind"]!.AsArray();
        Assert.Equal("Component", kind[0]!["value"]!.GetValue<string>());
        Assert.Equal(3, kind[0]!["count"]!.GetValue<int>());
        var lifecycles = facets["facets"]!["spec.lifecycle"]!.AsArray().ToDictionary(v => v!["value"]!.GetValue<string>(), v => v!["count"]!.GetValue<int>());
        Assert.Equal(2, lifecycles["production"]);
        Assert.Equal(1, lifecycles["experimental"]);
        using var noFacet = await app.Http.GetAsync("/api/catalog/entity-facets");
        Assert.Equal(HttpStatusCode.BadRequest, noFacet.StatusCode);
    }

    [Fact]
    public async Task By_query_pages_with_cursors_and_ranks_full_text_matches()
    {
        var app = await AppAsync();
        var first = await app.GetJsonAsync("/api/catalog/entities/by-query?limit=4&orderField=metadata.name,asc&fields=metadata.name");
        Assert.Equal(14, first["totalItems"]!.GetValue<int>());
        var names = new List<string>();
        var page = first;
        while (true)
        {
            names.AddRange(page["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
            if (page["pageInfo"]!["nextCursor"] is not { } next)
            {
                break;
            }

            page = await app.GetJsonAsync($"/api/catalog/entities/by-query?limit=4&fields=metadata.name&cursor={next.GetValue<string>()}");
            Assert.NotNull(page["pageInfo"]!["prevCursor"]);
        }

        Assert.Equal(14, names.Count);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);

        // One typo: a name match ranks above a title match, which ranks above a spec.type match.
        var search = await app.GetJsonAsync("/api/catalog/entities/by-query?fullTextFilterTerm=servce&fields=metadata.name,kind");
        var found = search["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["new-service", "svc", "worker"], found.Take(3));
        using var post = await app.Http.PostAsJsonAsync("/api/catalog/entities/by-query", new
        {
            query = JsonNode.Parse("""{"$all":[{"kind":"resource"},{"$not":{"spec.type":"cache"}}]}"""),
            fields = new[] { "metadata.name" },
        });
        var posted = JsonNode.Parse(await post.Content.ReadAsStringAsync())!;
        Assert.Equal("db", Assert.Single(posted["items"]!.AsArray())!["metadata"]!["name"]!.GetValue<string>());
        // Backstage's 2026 client sends the order as orderBy: [{field, order}].
        var ordered = await PostJsonAsync(app, "/api/catalog/entities/by-query", new
        {
            query = new { kind = "component" },
            orderBy = new[] { new { field = "metadata.name", order = "desc" } },
            fields = new[] { "metadata.name" },
        });
        var componentNames = ordered["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(3, componentNames.Count);
        Assert.Equal(componentNames.OrderDescending(StringComparer.Ordinal), componentNames);
        using var badCursor = await app.Http.GetAsync("/api/catalog/entities/by-query?cursor=garbage");
        Assert.Equal(HttpStatusCode.BadRequest, badCursor.StatusCode);
    }

    [Fact]
    public async Task Validate_entity_answers_200_for_a_good_entity_and_400_listing_each_problem()
    {
        var app = await AppAsync();
        using var ok = await app.Http.PostAsJsonAsync("/api/catalog/validate-entity", new
        {
            location = "url:https://example.com/catalog-info.yaml",
            entity = JsonNode.Parse("""{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"x"},"spec":{"type":"service","lifecycle":"production","owner":"t"}}"""),
        });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var bad = await app.Http.PostAsJsonAsync("/api/catalog/validate-entity", new
        {
            location = "url:https://example.com/catalog-info.yaml",
            entity = JsonNode.Parse("""{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"bad name"},"spec":{"type":"service","lifecycle":"production"}}"""),
        });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var body = JsonNode.Parse(await bad.Content.ReadAsStringAsync())!;
        var fields = body["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()).ToList();
        Assert.Contains("metadata.name", fields);
        Assert.Contains("spec.owner", fields);
        Assert.Equal("InputError", body["errors"]![0]!["name"]!.GetValue<string>());
        Assert.Contains("spec.owner", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_legacy_entities_list_filters_and_pages_with_a_link_header()
    {
        var app = await AppAsync();
        using var response = await app.Http.GetAsync("/api/catalog/entities?filter=kind=group&limit=1&fields=metadata.name");
        var items = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        Assert.Single(items);
        Assert.Contains("rel=\"next\"", response.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posted_facets_count_only_the_entities_the_predicate_selects_and_bad_bodies_are_400s()
    {
        var app = await AppAsync();
        using var response = await app.Http.PostAsJsonAsync("/api/catalog/entity-facets", new
        {
            facets = new[] { "kind", "spec.lifecycle" },
            query = JsonNode.Parse("""{"$all":[{"kind":"component"},{"$not":{"spec.lifecycle":"experimental"}}]}"""),
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var facets = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["facets"]!;
        var kind = Assert.Single(facets["kind"]!.AsArray())!;
        Assert.Equal("Component", kind["value"]!.GetValue<string>());
        Assert.Equal(2, kind["count"]!.GetValue<int>());
        Assert.Equal("production", Assert.Single(facets["spec.lifecycle"]!.AsArray())!["value"]!.GetValue<string>());

        var all = JsonNode.Parse(await (await app.Http.PostAsJsonAsync("/api/catalog/entity-facets", new { facets = new[] { "kind" } })).Content.ReadAsStringAsync())!;
        Assert.Equal(14, all["facets"]!["kind"]!.AsArray().Sum(v => v!["count"]!.GetValue<int>()));

        await AssertInputErrorAsync(await app.Http.PostAsJsonAsync("/api/catalog/entity-facets", new { query = new { kind = "component" } }), "facets");
        await AssertInputErrorAsync(
            await app.Http.PostAsJsonAsync("/api/catalog/entity-facets", new { facets = new[] { "kind" }, query = JsonNode.Parse("""{"$all":[{"kind":"component"},{"$foo":[]}]}""") }),
            "query.$all[1].$foo: unknown operator");
    }

    [Fact]
    public async Task By_refs_with_a_query_answers_null_for_entities_that_do_not_match_it()
    {
        var app = await AppAsync();
        using var response = await app.Http.PostAsJsonAsync("/api/catalog/entities/by-refs", new
        {
            entityRefs = new[] { "component:default/svc", "resource:default/cache", "component:default/nope", "component:default/worker" },
            fields = new[] { "metadata.name" },
            query = JsonNode.Parse("""{"kind":"component","spec.lifecycle":{"$in":["production","experimental"]}}"""),
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["items"]!.AsArray();
        Assert.Equal(4, items.Count);
        Assert.Equal("svc", items[0]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Null(items[1]);
        Assert.Null(items[2]);
        Assert.Equal("worker", items[3]!["metadata"]!["name"]!.GetValue<string>());
        await AssertInputErrorAsync(
            await app.Http.PostAsJsonAsync("/api/catalog/entities/by-refs", new { entityRefs = new[] { "component:default/svc" }, query = JsonNode.Parse("""{"kind":{"$near":1}}""") }),
            "query.kind.$near: unknown operator");
    }

    [Fact]
    public async Task Locations_by_query_filter_on_location_fields_and_refuse_unknown_fields_and_cursors()
    {
        var app = await AppAsync();
        var files = await PostJsonAsync(app, "/api/catalog/locations/by-query", new { query = new { type = "file" } });
        Assert.Equal(1, files["totalItems"]!.GetValue<int>());
        var location = Assert.Single(files["items"]!.AsArray())!.AsObject();
        Assert.Equal(["entityRef", "id", "target", "type"], location.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Matches("^location:default/generated-[0-9a-f]{40}$", location["entityRef"]!.GetValue<string>());
        Assert.Null(files["pageInfo"]!["nextCursor"]);
        var byRef = await PostJsonAsync(app, "/api/catalog/locations/by-query", new { query = new { entityRef = location["entityRef"]!.GetValue<string>() } });
        Assert.Equal(1, byRef["totalItems"]!.GetValue<int>());
        var urls = await PostJsonAsync(app, "/api/catalog/locations/by-query", new { query = JsonNode.Parse("""{"$any":[{"type":"url"},{"target":{"$hasPrefix":"https://"}}]}""") });
        Assert.Empty(urls["items"]!.AsArray());
        Assert.Equal(0, urls["totalItems"]!.GetValue<int>());

        await AssertInputErrorAsync(await app.Http.PostAsJsonAsync("/api/catalog/locations/by-query", new { query = new { colour = "red" } }), "'colour' is not a location field");
        await AssertInputErrorAsync(await app.Http.PostAsJsonAsync("/api/catalog/locations/by-query", new { query = JsonNode.Parse("""{"$not":{"$xor":[]}}""") }), "query.$not.$xor: unknown operator");
        await AssertInputErrorAsync(await app.Http.PostAsJsonAsync("/api/catalog/locations/by-query", new { cursor = "garbage" }), "cursor");
        await AssertInputErrorAsync(await app.Http.PostAsJsonAsync("/api/catalog/locations/by-query", new { limit = -1 }), "limit");
    }

    [Fact]
    public async Task Analyze_location_lists_the_entities_a_location_holds_or_proposes_a_component_for_an_empty_folder()
    {
        var app = await AppAsync();
        var root = Path.Combine(app.Folder, "catalog-info.yaml");
        foreach (var target in new[] { root, app.Folder })
        {
            var analysis = await PostJsonAsync(app, "/api/catalog/analyze-location", new { location = new { type = "file", target } });
            var files = analysis["existingEntityFiles"]!.AsArray();
            Assert.Equal(14, files.Count);
            Assert.Empty(analysis["generateEntities"]!.AsArray());
            var svc = files.Single(f => f!["entity"]!["metadata"]!["name"]!.GetValue<string>() == "svc")!;
            Assert.True(svc["isRegistered"]!.GetValue<bool>());
            Assert.Equal("file", svc["location"]!["type"]!.GetValue<string>());
            Assert.EndsWith(Path.Combine("software", "system.yaml"), svc["location"]!["target"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Directory.CreateDirectory(Path.Combine(app.Folder, "New Thing"));
        var empty = await PostJsonAsync(app, "/api/catalog/analyze-location", new { location = new { type = "file", target = Path.Combine(app.Folder, "New Thing") }, catalogFileName = "catalog.yaml" });
        Assert.Empty(empty["existingEntityFiles"]!.AsArray());
        var proposal = Assert.Single(empty["generateEntities"]!.AsArray())!;
        Assert.Equal("Component", proposal["entity"]!["kind"]!.GetValue<string>());
        Assert.Equal("new-thing", proposal["entity"]!["metadata"]!["name"]!.GetValue<string>());
        var owner = proposal["fields"]!.AsArray().Single(f => f!["field"]!.GetValue<string>() == "spec.owner")!;
        Assert.Equal("needsUserInput", owner["state"]!.GetValue<string>());
        Assert.Null(owner["value"]);

        await AssertInputErrorAsync(await app.Http.PostAsJsonAsync("/api/catalog/analyze-location", new { catalogFileName = "x.yaml" }), "location");
        await AssertInputErrorAsync(await app.Http.PostAsJsonAsync("/api/catalog/analyze-location", new { location = new { type = "file" } }), "location.target");
        await AssertInputErrorAsync(await app.Http.PostAsJsonAsync("/api/catalog/analyze-location", new { location = new { type = "file", target = root }, catalogFileName = "../x.yaml" }), "catalogFileName");
        await AssertInputErrorAsync(await app.Http.PostAsJsonAsync("/api/catalog/analyze-location", new { location = new { type = "ftp", target = "x" } }), "type");
    }

    [Fact]
    public async Task A_dry_run_answers_the_schema_shape_for_a_new_location_and_writes_nothing()
    {
        var app = await AppAsync();
        var file = app.Write("dry/catalog-info.yaml", """
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: dry-one
            spec:
              type: service
              lifecycle: production
              owner: team-shop
            """);
        using var response = await app.RegisterAsync(file, dryRun: true);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["entities", "exists", "location"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.False(body["exists"]!.GetValue<bool>());
        Assert.Equal(["entityRef", "id", "target", "type"], body["location"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("dry-one", Assert.Single(body["entities"]!.AsArray())!["metadata"]!["name"]!.GetValue<string>());
        Assert.Null(await app.EntityAsync("component", "dry-one"));
        Assert.Single(JsonNode.Parse(await app.Http.GetStringAsync("/api/catalog/locations"))!.AsArray());
    }

    internal static async Task<JsonObject> PostJsonAsync(CatalogTestApp app, string url, object body)
    {
        using var response = await app.Http.PostAsJsonAsync(url, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {url}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>A 400 in Backstage's error shape whose message names <paramref name="expected"/>.</summary>
    internal static async Task AssertInputErrorAsync(HttpResponseMessage response, string expected, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
            var problem = JsonNode.Parse(text)!;
            Assert.Contains(expected, problem["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal((int)status, problem["response"]!["statusCode"]!.GetValue<int>());
        }
    }
}
