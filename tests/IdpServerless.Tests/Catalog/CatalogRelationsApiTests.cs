using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Catalog;

/// <summary>
/// A Backstage-format catalog with every kind and relation type ingests unchanged through the real app, and the API
/// returns the relations Backstage would compute, in both directions, for refs that omit kind or namespace too.
/// </summary>
[Collection("azurite")]
public class CatalogRelationsApiTests(AzuriteFixture azurite, SharedCatalogApp shared) : IClassFixture<SharedCatalogApp>
{
    private Task<CatalogTestApp> AppAsync() => shared.GetAsync(azurite, async app => await app.RegisterOkAsync(BackstageCatalog.WriteTo(app)));

    [Fact]
    public async Task Every_kind_ingests_unchanged_with_uid_etag_and_location_annotations()
    {
        var app = await AppAsync();
        foreach (var (kind, name, ns) in new[] { ("location", "example-root", "default"), ("group", "child-group", "default"), ("user", "jane", "default"), ("domain", "dom", "default"), ("system", "sys", "default"), ("component", "svc", "default"), ("api", "svc-api", "default"), ("resource", "db", "default"), ("template", "new-service", "default"), ("component", "cart", "shop") })
        {
            var entity = await app.EntityAsync(kind, name, ns);
            Assert.True(entity is not null, $"{kind}:{ns}/{name} is missing");
            Assert.False(string.IsNullOrEmpty(entity!["metadata"]!["uid"]?.GetValue<string>()));
            Assert.False(string.IsNullOrEmpty(entity["metadata"]!["etag"]?.GetValue<string>()));
            Assert.StartsWith("file:" + app.Folder, entity["metadata"]!["annotations"]!["backstage.io/managed-by-location"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var svc = (await app.EntityAsync("component", "svc"))!;
        Assert.Equal("The Service", svc["metadata"]!["title"]!.GetValue<string>());
        Assert.Equal("java", svc["metadata"]!["tags"]![0]!.GetValue<string>());
        var template = (await app.EntityAsync("template", "new-service"))!;
        Assert.Equal("fetch:template", template["spec"]!["steps"]![0]!["action"]!.GetValue<string>());
    }

    [Fact]
    public async Task OwnedBy_and_ownerOf_resolve_refs_without_kind_or_namespace_to_groups_in_the_entitys_namespace()
    {
        var app = await AppAsync();
        Assert.Equal(["group:default/child-group"], CatalogTestApp.Relations((await app.EntityAsync("component", "svc"))!, "ownedBy"));
        Assert.Equal(["user:default/jane"], CatalogTestApp.Relations((await app.EntityAsync("component", "worker"))!, "ownedBy"));
        Assert.Equal(["group:shop/team-shop"], CatalogTestApp.Relations((await app.EntityAsync("component", "cart", "shop"))!, "ownedBy"));
        Assert.Equal(
            ["api:default/svc-api", "component:default/svc", "resource:default/cache", "resource:default/db", "system:default/sys"],
            CatalogTestApp.Relations((await app.EntityAsync("group", "child-group"))!, "ownerOf"));
        Assert.Equal(["component:default/worker"], CatalogTestApp.Relations((await app.EntityAsync("user", "jane"))!, "ownerOf"));
        Assert.Equal(["domain:default/dom", "template:default/new-service"], CatalogTestApp.Relations((await app.EntityAsync("group", "parent-group"))!, "ownerOf"));
    }

    [Fact]
    public async Task PartOf_and_hasPart_link_components_to_systems_and_parents_and_systems_to_domains()
    {
        var app = await AppAsync();
        Assert.Equal(["system:default/sys"], CatalogTestApp.Relations((await app.EntityAsync("component", "svc"))!, "partOf"));
        Assert.Equal(["component:default/svc"], CatalogTestApp.Relations((await app.EntityAsync("component", "worker"))!, "partOf"));
        Assert.Equal(["component:default/worker"], CatalogTestApp.Relations((await app.EntityAsync("component", "svc"))!, "hasPart"));
        Assert.Equal(["api:default/svc-api", "component:default/svc", "resource:default/db"], CatalogTestApp.Relations((await app.EntityAsync("system", "sys"))!, "hasPart"));
        Assert.Equal(["domain:default/dom"], CatalogTestApp.Relations((await app.EntityAsync("system", "sys"))!, "partOf"));
        Assert.Equal(["system:default/sys"], CatalogTestApp.Relations((await app.EntityAsync("domain", "dom"))!, "hasPart"));
    }

    [Fact]
    public async Task DependsOn_and_dependencyOf_come_from_either_side()
    {
        var app = await AppAsync();
        Assert.Equal(["resource:default/cache", "resource:default/db"], CatalogTestApp.Relations((await app.EntityAsync("component", "svc"))!, "dependsOn"));
        Assert.Equal(["component:default/svc"], CatalogTestApp.Relations((await app.EntityAsync("resource", "db"))!, "dependencyOf"));
        Assert.Equal(["component:default/svc"], CatalogTestApp.Relations((await app.EntityAsync("resource", "cache"))!, "dependencyOf"));
    }

    [Fact]
    public async Task ProvidesApi_and_apiProvidedBy_default_the_kind_to_API()
    {
        var app = await AppAsync();
        Assert.Equal(["api:default/svc-api"], CatalogTestApp.Relations((await app.EntityAsync("component", "svc"))!, "providesApi"));
        Assert.Equal(["component:default/svc"], CatalogTestApp.Relations((await app.EntityAsync("api", "svc-api"))!, "apiProvidedBy"));
    }

    [Fact]
    public async Task ConsumesApi_and_apiConsumedBy_accept_a_namespace_without_a_kind()
    {
        var app = await AppAsync();
        Assert.Equal(["api:default/svc-api"], CatalogTestApp.Relations((await app.EntityAsync("component", "worker"))!, "consumesApi"));
        Assert.Equal(["component:default/worker"], CatalogTestApp.Relations((await app.EntityAsync("api", "svc-api"))!, "apiConsumedBy"));
    }

    [Fact]
    public async Task ChildOf_and_parentOf_come_from_parent_and_children_fields_once_each()
    {
        var app = await AppAsync();
        Assert.Equal(["group:default/parent-group"], CatalogTestApp.Relations((await app.EntityAsync("group", "child-group"))!, "childOf"));
        Assert.Equal(["group:default/child-group"], CatalogTestApp.Relations((await app.EntityAsync("group", "parent-group"))!, "parentOf"));
    }

    [Fact]
    public async Task MemberOf_and_hasMember_come_from_users_and_groups_across_namespaces()
    {
        var app = await AppAsync();
        Assert.Equal(["group:default/child-group"], CatalogTestApp.Relations((await app.EntityAsync("user", "jane"))!, "memberOf"));
        Assert.Equal(["group:default/child-group", "group:ops/shift"], CatalogTestApp.Relations((await app.EntityAsync("user", "sam", "ops"))!, "memberOf"));
        Assert.Equal(["user:default/jane", "user:ops/sam"], CatalogTestApp.Relations((await app.EntityAsync("group", "child-group"))!, "hasMember"));
    }

    [Fact]
    public async Task Relations_filter_by_query_with_the_full_target_ref()
    {
        var app = await AppAsync();
        var page = await app.GetJsonAsync("/api/catalog/entities/by-query?filter=kind=user,relations.memberof=group:default/child-group&fields=metadata.name");
        Assert.Equal(2, page["totalItems"]!.GetValue<int>());
        var names = page["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(["jane", "sam"], names);
        Assert.Null(page["items"]![0]!["relations"]);
    }
}
