using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Git;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Templates;

/// <summary>
/// The acceptance run: the .NET service template from the demo catalog, with the real catalog, real git repositories,
/// the real engine and real deployments to the simulated clusters.
/// </summary>
[Collection("azurite")]
public sealed class TemplateEndToEndTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TemplatesHarness _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TemplatesHarness.StartAsync(azurite, realCatalog: true, realDeployments: true);
        using var r = await _host.Http.PostAsJsonAsync("/api/catalog/locations", new { type = "file", target = Path.Combine(RepoPaths.Root, "demo", "catalog", "templates.yaml") });
        Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_dotnet_service_template_goes_from_form_to_a_cataloged_service_running_in_dev()
    {
        var name = "shop-" + Guid.NewGuid().ToString("N")[..6];
        var id = await _host.CreateTaskAsync("template:default/dotnet-service", new { name, owner = "group:default/team-a", description = "Sells things" });
        var task = await _host.WaitForTaskAsync(id, TimeSpan.FromSeconds(120));
        Assert.True(task["status"]!.ToString() == "completed", task.ToJsonString());

        var app = new RepoRef("apps", name);
        Assert.Contains($"service = \"{name}\"", Encoding.UTF8.GetString((await _host.Git.ReadFileAsync(app, "src/Program.cs", null, default))!), StringComparison.Ordinal);
        var catalogInfo = Encoding.UTF8.GetString((await _host.Git.ReadFileAsync(app, "catalog-info.yaml", null, default))!);
        Assert.Contains("idp.dev/environments: 'dev,staging,prod'", catalogInfo, StringComparison.Ordinal);

        var deployRepo = new RepoRef("deployments", name + "-deploy");
        var devValues = Encoding.UTF8.GetString((await _host.Git.ReadFileAsync(deployRepo, "dev/values.yaml", null, default))!);
        Assert.Contains("0.1.0", devValues, StringComparison.Ordinal);
        Assert.NotNull(await _host.Git.ReadFileAsync(deployRepo, "dev/httproute.yaml", null, default));
        Assert.NotNull(await _host.Git.ReadFileAsync(deployRepo, "prod/values.yaml", null, default));

        var component = await _host.Http.GetFromJsonAsync<JsonObject>($"/api/catalog/entities/by-name/component/default/{name}");
        Assert.Equal("group:default/team-a", component!["spec"]!["owner"]!.ToString());

        var environments = await _host.Http.GetFromJsonAsync<JsonArray>($"/api/components/default/{name}/environments");
        Assert.Equal(["dev", "staging", "prod"], environments!.Select(e => e!["name"]!.ToString()));
        Assert.Equal("0.1.0", environments![0]!["current"]!["version"]!.ToString());

        var deploymentId = task["steps"]!.AsArray().Single(s => s!["id"]!.ToString() == "deploy")!["output"]!["deploymentId"]!.ToString();
        var deployment = await _host.Http.GetFromJsonAsync<JsonObject>($"/api/deployments/{deploymentId}");
        Assert.Equal("Succeeded", deployment!["status"]!.ToString());
        Assert.Equal("dev", deployment["environment"]!.ToString());
        Assert.Contains(task["output"]!["links"]!.AsArray(), l => l!["url"]?.ToString() == $"/deployments/{deploymentId}");
    }
}
