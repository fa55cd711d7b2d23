using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Templates;

/// <summary>Templates with the real catalog: demo templates registered as a file location, new entities as git locations.</summary>
[Collection("azurite")]
public sealed class TemplatesWithCatalogTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TemplatesHarness _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TemplatesHarness.StartAsync(azurite, realCatalog: true);
        using var r = await _host.Http.PostAsJsonAsync("/api/catalog/locations", new { type = "file", target = Path.Combine(RepoPaths.Root, "demo", "catalog", "templates.yaml") });
        Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_demo_templates_are_served_from_the_catalog_and_the_new_component_is_cataloged_with_its_environments()
    {
        var schema = await _host.Http.GetFromJsonAsync<JsonObject>("/api/scaffolder/v2/templates/default/template/static-website/parameter-schema");
        Assert.Equal("Static website", schema!["title"]!.ToString());

        var id = await _host.CreateTaskAsync("template:default/dotnet-service", new { name = "inventory", owner = "group:default/team-a", environments = new[] { "dev", "prod" } });
        var task = await _host.WaitForTaskAsync(id);
        Assert.True(task["status"]!.ToString() == "completed", task.ToJsonString());

        var component = await _host.Http.GetFromJsonAsync<JsonObject>("/api/catalog/entities/by-name/component/default/inventory");
        var annotations = component!["metadata"]!["annotations"]!;
        Assert.Equal("dev,prod", annotations["idp.dev/environments"]!.ToString());
        Assert.Equal("deployments/inventory-deploy", annotations["idp.dev/deployment-repo"]!.ToString());
        Assert.Equal("git:apps/inventory/catalog-info.yaml", annotations["backstage.io/managed-by-location"]!.ToString());
        Assert.Equal(("component:default/inventory", "dev"), (_host.Deployments.Started.Single().Component, _host.Deployments.Started.Single().Environment));
    }

    [Fact]
    public async Task A_task_that_fails_after_registering_leaves_no_entity_or_location_in_the_catalog()
    {
        _host.Deployments.RefuseWith = "no such image";
        var id = await _host.CreateTaskAsync("template:default/dotnet-service", new { name = "ledger", owner = "group:default/team-a" });
        var task = await _host.WaitForTaskAsync(id);
        Assert.Equal("failed", task["status"]!.ToString());
        Assert.Equal("completed", task["steps"]!.AsArray().Single(s => s!["id"]!.ToString() == "register")!["status"]!.ToString());

        using var entity = await _host.Http.GetAsync("/api/catalog/entities/by-name/component/default/ledger");
        Assert.Equal(HttpStatusCode.NotFound, entity.StatusCode);
        var locations = await _host.Http.GetStringAsync("/api/catalog/locations");
        Assert.DoesNotContain("apps/ledger", locations, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_new_system_template_registers_a_system()
    {
        var id = await _host.CreateTaskAsync("template:default/new-system", new { name = "warehouse", owner = "group:default/team-a", description = "Stock" });
        var task = await _host.WaitForTaskAsync(id);
        Assert.True(task["status"]!.ToString() == "completed", task.ToJsonString());
        var system = await _host.Http.GetFromJsonAsync<JsonObject>("/api/catalog/entities/by-name/system/default/warehouse");
        Assert.Equal("group:default/team-a", system!["spec"]!["owner"]!.ToString());
        Assert.Equal("system:default/warehouse", task["output"]!["links"]![0]!["entityRef"]!.ToString());
    }
}
