using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Infrastructure;
using IdpServerless.Functions.Templates.Catalog;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using YamlDotNet.RepresentationModel;

namespace IdpServerless.Tests.Templates;

/// <summary>
/// The real app composition in-process (TestServer) on real Azurite, the real orchestration engine and the real local
/// git provider (bare repositories in a temp data folder). The catalog and deployments are stand-ins implementing the
/// contracts templates use (<see cref="IScaffolderCatalog"/>, <see cref="IDeploymentService"/>) until those features are
/// merged; <see cref="TestCatalog"/> reads registered locations from git like the catalog does.
/// </summary>
public sealed class TemplatesHarness : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TemplatesHarness(WebApplication app, string dataDir)
    {
        _app = app;
        DataDir = dataDir;
        Http = app.GetTestClient();
        Http.Timeout = TimeSpan.FromSeconds(60);
    }

    public HttpClient Http { get; }

    public string DataDir { get; }

    public IGitProvider Git => _app.Services.GetRequiredService<IGitProvider>();

    public TestCatalog Catalog => (TestCatalog)_app.Services.GetRequiredService<IScaffolderCatalog>();

    public TestDeployments Deployments => (TestDeployments)_app.Services.GetRequiredService<IDeploymentService>();

    public IServiceProvider Services => _app.Services;

    public static async Task<TemplatesHarness> StartAsync(AzuriteFixture azurite, bool realCatalog = false, bool realDeployments = false)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "idp-templates-" + Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration["AzureWebJobsStorage"] = azurite.ConnectionString;
        builder.Configuration["IDP_DATA_DIR"] = dataDir;
        builder.Configuration["IDP_LOCAL_SETTINGS"] = Path.Combine(dataDir, "no-local-settings.json");
        builder.Configuration["Durable:TaskHub"] = "tpl" + Guid.NewGuid().ToString("N")[..12];
        builder.Configuration["Durable:MaxQueuePollingInterval"] = "00:00:00.500";
        builder.Configuration["Durable:PartitionCount"] = "1";
        builder.Configuration["Durable:LeaseAcquireInterval"] = "00:00:01";
        builder.Configuration["Dispatch:MaxPollingInterval"] = "00:00:00.200";
        var run = Guid.NewGuid().ToString("N")[..10];
        builder.Configuration["Catalog:EntitiesTable"] = "tplent" + run;
        builder.Configuration["Catalog:LocationsTable"] = "tplloc" + run;
        builder.Configuration["Catalog:ChangesTable"] = "tplchg" + run;
        builder.Configuration["Catalog:RefreshQueue"] = "tplrefresh" + run;
        builder.Configuration["Catalog:FileRoots:0"] = Path.Combine(RepoPaths.Root, "demo");
        builder.Configuration["IDP_MODE"] = "local";
        builder.Configuration["IDP_BOOTSTRAP_ADMINS"] = "user:default/jane";
        builder.Configuration["IDP_RATE_LIMIT_PER_IDENTITY"] = "0";
        builder.Configuration["IDP_RATE_LIMIT_PER_ADDRESS"] = "0";
        builder.Configuration["IDP_AUDIT_TABLE"] = "tplaudit" + run;
        builder.Configuration["IDP_RBAC_TABLE"] = "tplrbac" + run;
        AppComposition.AddServices(builder);
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        if (!realCatalog)
        {
            builder.Services.RemoveAll<IScaffolderCatalog>();
            builder.Services.AddSingleton<IScaffolderCatalog, TestCatalog>();
        }

        builder.Configuration["Deployments:PollInterval"] = "00:00:00.100";
        builder.Configuration["Deployments:ProgressDeadline"] = "00:00:30";
        builder.Configuration["Deployments:DefaultClusters"] = "local-east";
        builder.Configuration["Clusters:ConvergenceTime"] = "00:00:00.200";
        builder.Configuration["Clusters:Simulated"] = "local-east=eastus,local-west=westus";
        if (!realDeployments)
        {
            builder.Services.RemoveAll<IDeploymentService>();
            builder.Services.AddSingleton<IDeploymentService, TestDeployments>();
        }

        // Tests sign in as jane (team-a) through the local dev issuer; the directory stands in for the catalog's users.
        builder.Services.AddSingleton<ICatalogDirectory>(new Identity.InMemoryCatalogDirectory().AddGroup("team-a").AddUser("jane", "jane@example.com", ["team-a"]));
        var app = builder.Build();
        AppComposition.MapEndpoints(app);
        await app.StartAsync();
        var harness = new TemplatesHarness(app, dataDir);
        using var token = await harness.Http.PostAsJsonAsync("/api/auth/dev-token", new { user = "user:default/jane" });
        var tokenBody = await token.Content.ReadAsStringAsync();
        Assert.True(token.IsSuccessStatusCode, tokenBody);
        harness.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", JsonNode.Parse(tokenBody)!["access_token"]!.ToString());
        return harness;
    }

    /// <summary>Creates a task and returns its id (asserting 201).</summary>
    public async Task<string> CreateTaskAsync(string templateRef, object values)
    {
        using var r = await Http.PostAsJsonAsync("/api/scaffolder/v2/tasks", new { templateRef, values });
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == System.Net.HttpStatusCode.Created, $"{(int)r.StatusCode}: {body}");
        return JsonNode.Parse(body)!["id"]!.ToString();
    }

    /// <summary>Waits until the task has finished and returns it.</summary>
    public Task<JsonObject> WaitForTaskAsync(string id, TimeSpan? timeout = null) =>
        Eventually.ValueAsync(async () =>
        {
            var task = await Http.GetFromJsonAsync<JsonObject>($"/api/scaffolder/v2/tasks/{id}");
            return task!["status"]!.ToString() is "completed" or "failed" or "cancelled" ? task : null;
        }, timeout ?? TimeSpan.FromSeconds(60), $"task {id} to finish", TimeSpan.FromMilliseconds(100));

    public async Task<JsonArray> EventsAsync(string id) =>
        (await Http.GetFromJsonAsync<JsonArray>($"/api/scaffolder/v2/tasks/{id}/events"))!;

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }
}

/// <summary>
/// Stand-in for the catalog: serves the demo Template entities (read from demo/templates with their file location, as
/// the catalog does) plus any added by a test, and registers git locations by reading their YAML through the git provider.
/// </summary>
public sealed class TestCatalog(IGitProvider git) : IScaffolderCatalog
{
    private readonly Dictionary<string, JsonObject> _entities = LoadDemoTemplates();
    private readonly Dictionary<string, List<string>> _locations = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int Registrations { get; private set; }

    public IReadOnlyDictionary<string, List<string>> Locations
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, List<string>>(_locations);
            }
        }
    }

    public JsonObject? Find(string entityRef)
    {
        lock (_lock)
        {
            return _entities.GetValueOrDefault(entityRef.ToLowerInvariant());
        }
    }

    public void Add(JsonObject entity)
    {
        lock (_lock)
        {
            _entities[RefOf(entity)] = entity;
        }
    }

    public Task<JsonObject?> GetEntityAsync(string entityRef, CancellationToken cancellationToken) =>
        Task.FromResult((JsonObject?)Find(entityRef)?.DeepClone());

    public async Task<CatalogRegistration> RegisterLocationAsync(string type, string target, CancellationToken cancellationToken)
    {
        Assert.Equal("git", type);
        var parts = target.Split('/', 3);
        var content = await git.ReadFileAsync(new RepoRef(parts[0], parts[1]), parts[2], null, cancellationToken)
            ?? throw new ProblemException(400, ProblemTypes.BadRequest, "Location not found.", target);
        var refs = new List<string>();
        lock (_lock)
        {
            Registrations++;
            foreach (var entity in YamlToJson.Documents(System.Text.Encoding.UTF8.GetString(content)))
            {
                var r = RefOf(entity);
                _entities[r] = entity;
                refs.Add(r);
            }

            _locations[$"{type}:{target}"] = refs;
        }

        return new CatalogRegistration($"loc-{Math.Abs(target.GetHashCode(StringComparison.Ordinal))}", refs);
    }

    public Task<bool> UnregisterLocationAsync(string type, string target, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_locations.Remove($"{type}:{target}", out var refs))
            {
                return Task.FromResult(false);
            }

            foreach (var r in refs)
            {
                _entities.Remove(r);
            }

            return Task.FromResult(true);
        }
    }

    private static string RefOf(JsonObject e) =>
        $"{e["kind"]}:{e["metadata"]?["namespace"]?.ToString() ?? "default"}/{e["metadata"]!["name"]}".ToLowerInvariant();

    private static Dictionary<string, JsonObject> LoadDemoTemplates()
    {
        var result = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "demo", "templates"), "template.yaml", SearchOption.AllDirectories))
        {
            foreach (var entity in YamlToJson.Documents(File.ReadAllText(file)))
            {
                var metadata = (JsonObject)entity["metadata"]!;
                metadata["annotations"] ??= new JsonObject();
                metadata["annotations"]!["backstage.io/managed-by-location"] = "file:" + file;
                result[RefOf(entity)] = entity;
            }
        }

        return result;
    }
}

/// <summary>Stand-in for deployments: accepts a deployment and reports it Succeeded (or refuses it when told to).</summary>
public sealed class TestDeployments : IDeploymentService
{
    private readonly List<DeploymentRequest> _started = [];

    public IReadOnlyList<DeploymentRequest> Started
    {
        get
        {
            lock (_started)
            {
                return [.. _started];
            }
        }
    }

    /// <summary>When set, StartAsync refuses with this 422 (a caller's mistake: the step fails for good).</summary>
    public string? RefuseWith { get; set; }

    public Task<DeploymentAccepted> StartAsync(DeploymentRequest request, Caller caller, CancellationToken cancellationToken)
    {
        if (RefuseWith is { } reason)
        {
            throw ProblemException.Validation("version", reason);
        }

        lock (_started)
        {
            _started.Add(request);
            return Task.FromResult(new DeploymentAccepted($"dep-{_started.Count}", request.Component, request.Environment ?? "dev", request.Version, "/api/deployments/dep-" + _started.Count));
        }
    }

    public Task<DeploymentSummary?> GetSummaryAsync(string deploymentId, CancellationToken cancellationToken)
    {
        lock (_started)
        {
            var i = int.Parse(deploymentId["dep-".Length..], CultureInfo.InvariantCulture) - 1;
            var r = _started[i];
            return Task.FromResult<DeploymentSummary?>(new DeploymentSummary(deploymentId, r.Component, r.Environment ?? "dev", r.Version, "Succeeded", "user:default/jane", DateTimeOffset.UtcNow, null));
        }
    }

    public Task<DeploymentAccepted> RollbackAsync(string component, string environment, string? toVersion, Caller caller, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<DeploymentAccepted> PromoteAsync(string component, string fromEnvironment, string toEnvironment, string? version, Caller caller, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task SendControlAsync(string deploymentId, string control, string? comment, Caller caller, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IReadOnlyList<EnvironmentSummary>> GetEnvironmentsAsync(string component, CancellationToken cancellationToken) => throw new NotSupportedException();
}

/// <summary>YAML documents as JSON with typed plain scalars (numbers, booleans, null), as the catalog reads them.</summary>
public static class YamlToJson
{
    public static IEnumerable<JsonObject> Documents(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => Convert(d.RootNode)).OfType<JsonObject>().ToList();
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, Convert(c.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(Convert).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } p => Plain(p.Value),
        YamlScalarNode q => JsonValue.Create(q.Value ?? string.Empty),
        _ => null,
    };

    private static JsonNode? Plain(string? v) => v switch
    {
        null or "" or "~" or "null" => null,
        "true" => JsonValue.Create(true),
        "false" => JsonValue.Create(false),
        _ when long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
        _ when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && v.Contains('.', StringComparison.Ordinal) && v.Count(c => c == '.') == 1 => JsonValue.Create(d),
        _ => JsonValue.Create(v),
    };
}
