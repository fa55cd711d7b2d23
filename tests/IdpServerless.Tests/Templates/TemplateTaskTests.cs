using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Git;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Templates;

/// <summary>Template tasks through the scaffolder API, run by the real engine against Azurite and real git repositories.</summary>
[Collection("azurite")]
public sealed class TemplateTaskTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TemplatesHarness _host = null!;

    public async Task InitializeAsync() => _host = await TemplatesHarness.StartAsync(azurite);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_dotnet_service_template_creates_both_repositories_registers_the_component_with_its_environments_and_deploys_to_dev()
    {
        var id = await _host.CreateTaskAsync("template:default/dotnet-service", new { name = "orders-api", owner = "group:default/team-a", description = "Takes orders" });
        var task = await _host.WaitForTaskAsync(id);
        Assert.True(task["status"]!.ToString() == "completed", task.ToJsonString());

        var app = new RepoRef("apps", "orders-api");
        var program = Encoding.UTF8.GetString((await _host.Git.ReadFileAsync(app, "src/Program.cs", null, default))!);
        Assert.Contains("service = \"orders-api\"", program, StringComparison.Ordinal);
        Assert.Contains("http://0.0.0.0:8080", program, StringComparison.Ordinal);
        Assert.NotNull(await _host.Git.ReadFileAsync(app, "src/orders-api.csproj", null, default));
        var ci = Encoding.UTF8.GetString((await _host.Git.ReadFileAsync(app, ".github/workflows/ci.yaml", null, default))!);
        Assert.Contains("${{ github.sha }}", ci, StringComparison.Ordinal);
        var readme = Encoding.UTF8.GetString((await _host.Git.ReadFileAsync(app, "README.md", null, default))!);
        Assert.Contains("1. dev\n2. staging\n3. prod", readme, StringComparison.Ordinal);

        var deploy = new RepoRef("deployments", "orders-api-deploy");
        var devValues = Encoding.UTF8.GetString((await _host.Git.ReadFileAsync(deploy, "dev/values.yaml", null, default))!);
        Assert.Contains("component: \"component:default/orders-api\"", devValues, StringComparison.Ordinal);
        Assert.NotNull(await _host.Git.ReadFileAsync(deploy, "prod/values.yaml", null, default));

        var component = _host.Catalog.Find("component:default/orders-api");
        Assert.NotNull(component);
        Assert.Equal("group:default/team-a", component!["spec"]!["owner"]!.ToString());
        Assert.Equal("dev,staging,prod", component["metadata"]!["annotations"]!["idp.dev/environments"]!.ToString());
        Assert.Equal("deployments/orders-api-deploy", component["metadata"]!["annotations"]!["idp.dev/deployment-repo"]!.ToString());

        var started = Assert.Single(_host.Deployments.Started);
        Assert.Equal(("component:default/orders-api", "dev", "0.1.0"), (started.Component, started.Environment, started.Version));

        var links = task["output"]!["links"]!.AsArray();
        Assert.Contains(links, l => l!["entityRef"]?.ToString() == "component:default/orders-api");
        Assert.Contains(links, l => l!["url"]?.ToString() == "/deployments/dep-1");
        Assert.All(task["steps"]!.AsArray(), s => Assert.Equal("completed", s!["status"]!.ToString()));
        var events = await _host.EventsAsync(id);
        Assert.Equal("completion", events[^1]!["type"]!.ToString());
    }

    [Fact]
    public async Task Invalid_parameters_get_a_422_naming_each_field()
    {
        using var r = await _host.Http.PostAsJsonAsync("/api/scaffolder/v2/tasks", new
        {
            templateRef = "template:default/dotnet-service",
            values = new { name = "Not Valid!", environments = new[] { "dev", "moon" }, port = 80 },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var errors = (await r.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Equal(["environments[1]", "name", "owner", "port"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Contains("must match the pattern", errors["name"]![0]!.ToString(), StringComparison.Ordinal);
        Assert.Equal("is required", errors["owner"]![0]!.ToString());
        Assert.Equal("must be at least 1024", errors["port"]![0]!.ToString());
        Assert.Empty(await _host.Git.ListRepositoriesAsync(null, 10, default));
    }

    [Fact]
    public async Task A_failing_step_stops_the_task_logs_why_and_unregisters_what_it_registered()
    {
        _host.Deployments.RefuseWith = "version 0.1.0 has no image";
        var id = await _host.CreateTaskAsync("template:default/dotnet-service", new { name = "billing", owner = "group:default/team-a" });
        var task = await _host.WaitForTaskAsync(id);

        Assert.Equal("failed", task["status"]!.ToString());
        Assert.Contains("version 0.1.0 has no image", task["error"]!["message"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal("failed", task["steps"]!.AsArray().Single(s => s!["id"]!.ToString() == "deploy")!["status"]!.ToString());
        Assert.Null(_host.Catalog.Find("component:default/billing"));
        Assert.Empty(_host.Catalog.Locations);
        var messages = (await _host.EventsAsync(id)).Select(e => e!["body"]!["message"]!.ToString()).ToList();
        Assert.Contains(messages, m => m.Contains("Step deploy failed", StringComparison.Ordinal) && m.Contains("version 0.1.0 has no image", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Unregistered git:apps/billing/catalog-info.yaml", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_retried_task_reuses_its_repositories_and_commits_instead_of_making_second_ones()
    {
        _host.Deployments.RefuseWith = "cluster is full";
        var id = await _host.CreateTaskAsync("template:default/dotnet-service", new { name = "payments", owner = "group:default/team-a", environments = new[] { "dev" } });
        Assert.Equal("failed", (await _host.WaitForTaskAsync(id))["status"]!.ToString());
        var app = new RepoRef("apps", "payments");
        var commitsBefore = await _host.Git.LogAsync(app, "main", null, 50, default);

        _host.Deployments.RefuseWith = null;
        using (var retry = await _host.Http.PostAsync($"/api/scaffolder/v2/tasks/{id}/retry", null))
        {
            Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        }

        var task = await Eventually.ValueAsync(async () =>
        {
            var t = await _host.Http.GetFromJsonAsync<JsonObject>($"/api/scaffolder/v2/tasks/{id}");
            return t!["run"]!.GetValue<int>() == 2 && t["status"]!.ToString() == "completed" ? t : null;
        }, TimeSpan.FromSeconds(60), "the retried task to complete");

        Assert.Equal(2, task["run"]!.GetValue<int>());
        var repos = await _host.Git.ListRepositoriesAsync(null, 100, default);
        Assert.Equal(["apps/payments", "deployments/payments-deploy"], repos.Select(r => r.Ref.ToString()).Order(StringComparer.Ordinal));
        var commitsAfter = await _host.Git.LogAsync(app, "main", null, 50, default);
        Assert.Equal(commitsBefore.Select(c => c.Sha), commitsAfter.Select(c => c.Sha));
        Assert.NotNull(_host.Catalog.Find("component:default/payments"));
        Assert.Single(_host.Deployments.Started);
    }

    [Fact]
    public async Task Dry_run_returns_the_files_it_would_write_and_changes_nothing()
    {
        using var r = await _host.Http.PostAsJsonAsync("/api/scaffolder/v2/dry-run", new
        {
            templateRef = "template:default/dotnet-service",
            values = new { name = "preview", owner = "group:default/team-a", system = "commerce" },
        });
        var body = await r.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("completed", body!["status"]!.ToString());
        var files = body["directoryContents"]!.AsArray().ToDictionary(f => f!["path"]!.ToString(), f => Encoding.UTF8.GetString(Convert.FromBase64String(f!["base64Content"]!.ToString())));
        Assert.Contains("src/preview.csproj", files.Keys);
        Assert.Contains("  system: commerce\n", files["catalog-info.yaml"], StringComparison.Ordinal);
        Assert.Equal(6, body["steps"]!.AsArray().Count);
        Assert.Contains(body["log"]!.AsArray(), l => l!["body"]!["message"]!.ToString().StartsWith("Dry run: would create repository apps/preview", StringComparison.Ordinal));
        Assert.Empty(await _host.Git.ListRepositoriesAsync(null, 10, default));
        Assert.Empty(_host.Catalog.Locations);
        Assert.Empty(_host.Deployments.Started);
    }

    [Fact]
    public async Task A_2020_12_parameter_schema_is_checked_in_full_and_a_runaway_pattern_or_a_broken_schema_is_a_422_not_a_hang_or_500()
    {
        static object Inline(object parameters) => new
        {
            apiVersion = "scaffolder.backstage.io/v1beta3",
            kind = "Template",
            metadata = new { name = "inline" },
            spec = new { parameters, steps = new[] { new { id = "log", name = "Log", action = "debug:log", input = new { message = "hi" } } } },
        };

        var schema = JsonNode.Parse("""
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "$defs": { "env": { "enum": ["dev", "prod"] } },
              "required": ["env"],
              "properties": {
                "env": { "$ref": "#/$defs/env", "ui:widget": "select" },
                "slug": { "type": "string", "pattern": "^(a+)+$" },
                "tls": { "type": "boolean" }
              },
              "dependentRequired": { "tls": ["cert"] }
            }
            """);
        using (var r = await _host.Http.PostAsJsonAsync("/api/scaffolder/v2/dry-run", new { template = Inline(schema!), values = new { env = "moon", slug = new string('a', 40) + "!", tls = true } }))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            var errors = (await r.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
            Assert.Equal(["cert", "env", "slug"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
            Assert.Equal("must be one of: dev, prod", errors["env"]![0]!.ToString());
            Assert.Equal("took too long to check against the pattern", errors["slug"]![0]!.ToString());
            Assert.Equal("is required when tls is set", errors["cert"]![0]!.ToString());
        }

        using (var r = await _host.Http.PostAsJsonAsync("/api/scaffolder/v2/dry-run", new { template = Inline(JsonNode.Parse("""{"properties":{"env":{"$ref":"#/definitions/missing"}}}""")!), values = new { env = "dev" } }))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
            var problem = (await r.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Contains("cannot be checked: the template's schema is not valid JSON Schema (Could not resolve '#/definitions/missing')", problem["detail"]!.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_event_stream_sends_logs_then_the_completion_and_resumes_after_last_event_id()
    {
        var id = await _host.CreateTaskAsync("template:default/new-system", new { name = "commerce", owner = "group:default/team-a", description = "Buying things" });
        await _host.WaitForTaskAsync(id);

        var full = await _host.Http.GetStringAsync($"/api/scaffolder/v2/tasks/{id}/eventstream");
        Assert.Contains("event: log\n", full, StringComparison.Ordinal);
        Assert.EndsWith("\n\n", full, StringComparison.Ordinal);
        Assert.Contains("event: completion\n", full, StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/scaffolder/v2/tasks/{id}/eventstream");
        request.Headers.Add("Last-Event-ID", "3");
        using var resumed = await _host.Http.SendAsync(request);
        var tail = await resumed.Content.ReadAsStringAsync();
        Assert.Equal("text/event-stream", resumed.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("id: 4\n", tail, StringComparison.Ordinal);
        var polled = await _host.Http.GetFromJsonAsync<JsonArray>($"/api/scaffolder/v2/tasks/{id}/events?after=3");
        Assert.Equal(4, polled![0]!["id"]!.GetValue<long>());
        Assert.NotNull(_host.Catalog.Find("system:default/commerce"));
    }

    [Fact]
    public async Task The_parameter_schema_and_action_list_have_backstage_shapes()
    {
        var schema = await _host.Http.GetFromJsonAsync<JsonObject>("/api/scaffolder/v2/templates/default/template/dotnet-service/parameter-schema");
        Assert.Equal(".NET web API service", schema!["title"]!.ToString());
        Assert.Equal(["Service", "Delivery"], schema["steps"]!.AsArray().Select(s => s!["title"]!.ToString()));
        Assert.Equal("OwnerPicker", schema["steps"]![0]!["schema"]!["properties"]!["owner"]!["ui:field"]!.ToString());

        var actions = await _host.Http.GetFromJsonAsync<JsonArray>("/api/scaffolder/v2/actions");
        Assert.Equal(
            ["catalog:register", "debug:log", "deploy:create-repository", "deploy:register-environments", "deploy:start", "fetch:plain", "fetch:template", "notify", "publish:git"],
            actions!.Select(a => a!["id"]!.ToString()));
        Assert.All(actions!, a => Assert.Equal("object", a!["schema"]!["input"]!["type"]!.ToString()));

        using var missing = await _host.Http.GetAsync("/api/scaffolder/v2/templates/default/template/nope/parameter-schema");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
