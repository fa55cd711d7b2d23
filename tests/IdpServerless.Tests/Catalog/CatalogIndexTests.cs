using System.Text;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;

namespace IdpServerless.Tests.Catalog;

/// <summary>The in-memory index: relations in both directions, Backstage filter semantics, ordering, cursors, search and facets.</summary>
public class CatalogIndexTests
{
    [Fact]
    public void Relations_appear_on_both_ends_and_disappear_when_the_declaring_entity_goes()
    {
        using var index = NewIndex();
        index.Apply([Component("svc", owner: "team-a"), Group("team-a")], []);
        Assert.Contains(new EntityRelation("ownedBy", "group:default/team-a"), index.Get("component:default/svc")!.Relations);
        Assert.Contains(new EntityRelation("ownerOf", "component:default/svc"), index.Get("group:default/team-a")!.Relations);

        index.Apply([], ["component:default/svc"]);
        Assert.Empty(index.Get("group:default/team-a")!.Relations);
        Assert.Equal(0, index.Query(Filter("relations.ownerof=component:default/svc"), 10).TotalItems);
    }

    [Fact]
    public void A_relation_declared_from_both_sides_is_listed_once()
    {
        using var index = NewIndex();
        index.Apply([Group("parent", children: ["child"]), Group("child", parent: "parent")], []);
        var child = index.Get("group:default/child")!;
        Assert.Single(child.Relations, r => r.Type == "childOf");
        Assert.Single(index.Get("group:default/parent")!.Relations, r => r.Type == "parentOf");
    }

    [Fact]
    public void Conditions_in_one_filter_are_anded_filters_are_ored_and_values_match_case_insensitively()
    {
        using var index = NewIndex();
        index.Apply([Component("a", type: "service"), Component("b", type: "website"), Group("g", children: ["x"]), Component("c", type: "Service")], []);
        Assert.Equal(["a", "c"], Names(index.Query(Filter("kind=component,spec.type=SERVICE"), 10)));
        Assert.Equal(["a", "b", "c", "g"], Names(index.Query(Filter("kind=group", "kind=component"), 10)));
        Assert.Equal(["a", "b", "c"], Names(index.Query(Filter("spec.type=service,spec.type=website"), 10)));
        Assert.Equal(["g"], Names(index.Query(Filter("spec.children"), 10)));
        Assert.Empty(Names(index.Query(Filter("kind=component,spec.children"), 10)));
    }

    [Fact]
    public void Array_items_match_as_values_and_as_keys_with_true()
    {
        using var index = NewIndex();
        index.Apply([Component("a", tags: ["java", "grpc"]), Component("b", tags: ["go"])], []);
        Assert.Equal(["a"], Names(index.Query(Filter("metadata.tags=java"), 10)));
        Assert.Equal(["a"], Names(index.Query(Filter("metadata.tags.grpc"), 10)));
        Assert.Equal(["a"], Names(index.Query(Filter("metadata.tags.java=true"), 10)));
        Assert.Equal(["a", "b"], Names(index.Query(Filter("metadata.namespace=default"), 10)));
    }

    [Fact]
    public void Cursor_pages_walk_forward_and_back_over_the_same_order()
    {
        using var index = NewIndex();
        index.Apply(Enumerable.Range(0, 57).Select(i => Component($"svc-{i:D3}", type: i % 2 == 0 ? "service" : "website")).ToList(), []);
        var query = new EntityQuery(EntityQueryParser.ParseFilters(["kind=component,spec.type=service"]), EntityQueryParser.ParseOrder(["metadata.name,desc"]));
        var pages = new List<QueryPage>();
        var page = index.Query(query, 10);
        pages.Add(page);
        while (page.Next is not null)
        {
            page = index.Query(query, 10, page.Next);
            pages.Add(page);
        }

        var all = pages.SelectMany(p => p.Items.Select(i => i.Name)).ToList();
        Assert.Equal(29, all.Count);
        Assert.Equal(all.OrderByDescending(n => n, StringComparer.Ordinal), all);
        Assert.All(pages, p => Assert.Equal(29, p.TotalItems));
        Assert.Null(pages[0].Prev);

        var back = index.Query(query, 10, pages[2].Prev, backwards: true);
        Assert.Equal(pages[1].Items.Select(i => i.Name), back.Items.Select(i => i.Name));
    }

    [Fact]
    public void Entities_without_the_order_field_sort_last_in_either_direction()
    {
        using var index = NewIndex();
        index.Apply([Component("a", description: "b-text"), Group("g"), Component("c", description: "a-text")], []);
        Assert.Equal(["c", "a", "g"], Names(index.Query(new EntityQuery([], EntityQueryParser.ParseOrder(["metadata.description,asc"])), 10)));
        Assert.Equal(["a", "c", "g"], Names(index.Query(new EntityQuery([], EntityQueryParser.ParseOrder(["metadata.description,desc"])), 10)));
    }

    [Fact]
    public void Search_ranks_name_matches_first_and_tolerates_prefixes_and_one_typo()
    {
        using var index = NewIndex();
        index.Apply(
        [
            Component("payments-service", description: "Takes card payments"),
            Component("checkout", description: "Builds carts then calls the payments service"),
            Component("inventory", description: "Stock levels"),
        ], []);
        Assert.Equal("payments-service", Names(Search(index, "payments"))[0]);
        Assert.Equal(["payments-service", "checkout"], Names(Search(index, "paym")));
        Assert.Contains("inventory", Names(Search(index, "inventroy")));
        Assert.Contains("payments-service", Names(Search(index, "paymnt")));
        Assert.Empty(Names(Search(index, "payments stock")));
        Assert.Equal(["inventory"], Names(Search(index, "stock lev")));
    }

    [Fact]
    public void Search_combines_with_filters_and_restricts_to_the_given_fields()
    {
        using var index = NewIndex();
        index.Apply([Component("alpha", description: "beta things"), Component("beta", type: "website"), Group("beta-team")], []);
        var filtered = index.Query(new EntityQuery(Filter("kind=component").Filters, [], "beta"), 10);
        Assert.Equal(["beta", "alpha"], Names(filtered));
        var nameOnly = index.Query(new EntityQuery([], [], "beta", ["metadata.name"]), 10);
        Assert.Equal(["beta", "beta-team"], Names(nameOnly).Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public void Facets_count_the_selected_entities_by_original_value()
    {
        using var index = NewIndex();
        index.Apply([Component("a", type: "service"), Component("b", type: "service"), Component("c", type: "website"), Group("g")], []);
        var facets = index.Facets(["kind", "spec.type"], Filter("kind=component"));
        Assert.Equal([new FacetValue("Component", 3)], facets["kind"]);
        Assert.Equal([new FacetValue("service", 2), new FacetValue("website", 1)], facets["spec.type"]);
    }

    [Fact]
    public void Predicates_support_not_in_exists_and_prefix()
    {
        using var index = NewIndex();
        index.Apply([Component("api-gw", type: "service", tags: ["edge"]), Component("web", type: "website"), Group("g")], []);
        var query = QueryPredicate.Parse(JsonNode.Parse("""
            {"$all":[{"kind":"component"},{"$not":{"metadata.tags":{"$contains":"edge"}}},{"spec.type":{"$in":["website","service"]}}]}
            """));
        Assert.Equal(["web"], Names(index.Query(new EntityQuery([], [], Predicate: query), 10)));
        var prefix = QueryPredicate.Parse(JsonNode.Parse("""{"metadata.name":{"$hasPrefix":"API"}}"""));
        Assert.Equal(["api-gw"], Names(index.Query(new EntityQuery([], [], Predicate: prefix), 10)));
        var missing = QueryPredicate.Parse(JsonNode.Parse("""{"spec.lifecycle":{"$exists":false}}"""));
        Assert.Equal(["g"], Names(index.Query(new EntityQuery([], [], Predicate: missing), 10)));
    }

    [Fact]
    public void A_bulk_change_filled_side_by_side_answers_as_the_same_entities_applied_in_small_batches()
    {
        // 3,200 entities in one batch take the parallel path (postings and words filled side by side); batches of 100 do not.
        var entities = Enumerable.Range(0, 40).Select(g => Group($"team-{g}", parent: g > 0 ? $"team-{g / 4}" : null))
            .Concat(Enumerable.Range(0, 3160).Select(i => Component(
                $"svc-{i}", owner: $"team-{i % 40}", type: i % 3 == 0 ? "website" : "service",
                description: $"handles {(i % 7 == 0 ? "payments" : "orders")} for region {i % 5}", tags: [$"tier-{i % 4}", i % 2 == 0 ? "java" : "go"])))
            .ToList();
        using var bulk = NewIndex();
        bulk.Apply(entities, []);
        using var small = NewIndex();
        foreach (var chunk in entities.Chunk(100))
        {
            small.Apply(chunk, []);
        }

        Assert.Equal(3200, bulk.Count);
        foreach (var query in new[] { Filter("kind=component,spec.type=website"), Filter("relations.ownedby=group:default/team-7"), Filter("metadata.tags=tier-2", "kind=group") })
        {
            Assert.Equal(Names(small.Query(query, 5000)), Names(bulk.Query(query, 5000)));
        }

        Assert.Equal(79, Names(small.Query(Filter("relations.ownedby=group:default/team-7"), 5000)).Count);
        foreach (var term in new[] { "payments", "svc-31", "region 3 orders", "paymnts" })
        {
            var expected = small.Query(new EntityQuery([], [], term), 5000);
            var actual = bulk.Query(new EntityQuery([], [], term), 5000);
            Assert.True(expected.TotalItems > 0, term);
            Assert.Equal(expected.TotalItems, actual.TotalItems);
            Assert.Equal(Names(expected), Names(actual));
        }

        var facets = bulk.Facets(["spec.type", "metadata.tags"], Filter("kind=component"));
        Assert.Equal(small.Facets(["spec.type", "metadata.tags"], Filter("kind=component")).Select(f => (f.Key, f.Value.ToArray())), facets.Select(f => (f.Key, f.Value.ToArray())), new FacetComparer());
        foreach (var name in new[] { "group:default/team-0", "group:default/team-9", "component:default/svc-3159" })
        {
            Assert.Equal(small.Get(name)!.Relations, bulk.Get(name)!.Relations);
        }

        Assert.Equal(["childOf", "ownerOf", "parentOf"], bulk.Get("group:default/team-9")!.Relations.Select(r => r.Type).Distinct());
    }

    [Fact]
    public void A_ref_given_twice_in_one_bulk_change_stands_as_its_last_version()
    {
        var entities = Enumerable.Range(0, 2500).Select(i => Component($"svc-{i}", type: "service")).ToList();
        entities.Add(Component("svc-7", type: "website", description: "the later one"));
        using var index = NewIndex();
        index.Apply(entities, []);

        Assert.Equal(2500, index.Count);
        Assert.Equal(["svc-7"], Names(index.Query(Filter("spec.type=website"), 10)));
        Assert.Equal([new FacetValue("service", 2499), new FacetValue("website", 1)], index.Facets(["spec.type"], Filter("kind=component"))["spec.type"]);
        Assert.Equal(["svc-7"], Names(Search(index, "later")));
    }

    private static CatalogIndex NewIndex() => new(new CatalogOptions());

    private static EntityQuery Filter(params string[] filters) => new(EntityQueryParser.ParseFilters(filters), []);

    private static QueryPage Search(CatalogIndex index, string term) => index.Query(new EntityQuery([], [], term), 10);

    private static List<string> Names(QueryPage page) => page.Items.Select(i => i.Name).ToList();

    private static StoredEntity Component(string name, string owner = "team", string type = "service", string? description = null, string[]? tags = null)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (description is not null)
        {
            metadata["description"] = description;
        }

        if (tags is not null)
        {
            metadata["tags"] = new JsonArray(tags.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray());
        }

        return Stored(new JsonObject
        {
            ["apiVersion"] = "backstage.io/v1alpha1",
            ["kind"] = "Component",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["type"] = type, ["lifecycle"] = "production", ["owner"] = owner },
        });
    }

    private static StoredEntity Group(string name, string[]? children = null, string? parent = null)
    {
        var spec = new JsonObject { ["type"] = "team", ["children"] = new JsonArray((children ?? []).Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()) };
        if (parent is not null)
        {
            spec["parent"] = parent;
        }

        return Stored(new JsonObject { ["apiVersion"] = "backstage.io/v1alpha1", ["kind"] = "Group", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec });
    }

    private static StoredEntity Stored(JsonObject entity)
    {
        var kind = entity["kind"]!.GetValue<string>();
        var name = entity["metadata"]!["name"]!.GetValue<string>();
        var uid = Guid.NewGuid().ToString();
        entity["metadata"]!["uid"] = uid;
        return new StoredEntity(EntityRef.Key(kind, "default", name), uid, "e1", "loc", null, DateTimeOffset.UtcNow, "h", Encoding.UTF8.GetBytes(entity.ToJsonString()));
    }

    private sealed class FacetComparer : IEqualityComparer<(string Key, FacetValue[] Values)>
    {
        public bool Equals((string Key, FacetValue[] Values) x, (string Key, FacetValue[] Values) y) => x.Key == y.Key && x.Values.SequenceEqual(y.Values);

        public int GetHashCode((string Key, FacetValue[] Values) obj) => obj.Key.GetHashCode(StringComparison.Ordinal);
    }
}
