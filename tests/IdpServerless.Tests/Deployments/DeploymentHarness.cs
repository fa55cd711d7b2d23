using System.Collections.Concurrent;
using System.Net.Http.Json;
using IdpServerless.Functions.Clusters.Simulated;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Infrastructure;
using IdpServerless.Functions.Notifications;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IdpServerless.Tests.Deployments;

/// <summary>
/// The real app in-process (AppComposition, the durable engine and its dispatchers, real Azurite, real git in a
/// temporary data folder, simulated clusters converging in 200 ms), with the catalog, access policy and notification
/// publisher replaced by test doubles the test controls. Durations are shortened so releases run in seconds.
/// </summary>
public sealed class DeploymentHarness : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDir;

    private DeploymentHarness(WebApplication app, string dataDir, TestComponents components, TestAccessPolicy access, RecordingPublisher notifications)
    {
        _app = app;
        _dataDir = dataDir;
        Http = app.GetTestClient();
        (Components, Access, Notifications) = (components, access, notifications);
    }

    public TestComponents Components { get; }

    public TestAccessPolicy Access { get; }

    public RecordingPublisher Notifications { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public IGitProvider Git => Services.GetRequiredService<IGitProvider>();

    public SimulatedClusterFleet Fleet => Services.GetRequiredService<SimulatedClusterFleet>();

    public static Caller User(string name, params string[] groups) =>
        new($"user:default/{name}", name, $"{name}@example.com", groups, Channels.Api, true);

    /// <param name="components">The catalog to start with (a restarted host that must know its components before it runs anything).</param>
    public static async Task<DeploymentHarness> StartAsync(AzuriteFixture azurite, IDictionary<string, string?>? settings = null, TestComponents? components = null, Action<IServiceCollection>? services = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "idp-deploy-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDir);
        var values = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["IDP_MODE"] = "local",
            ["IDP_DATA_DIR"] = dataDir,
            ["Durable:TaskHub"] = "d" + Guid.NewGuid().ToString("N")[..10],
            ["Durable:PartitionCount"] = "1",
            ["Durable:MaxQueuePollingInterval"] = "00:00:00.500",
            ["Durable:LeaseAcquireInterval"] = "00:00:01",
            ["Dispatch:MaxPollingInterval"] = "00:00:00.200",
            ["Deployments:PollInterval"] = "00:00:00.100",
            ["Deployments:AnalysisInterval"] = "00:00:00.300",
            ["Deployments:AnalysisCount"] = "2",
            // A rollout here is ready in well under a second and a crashing one fails at once (Degraded); the deadline
            // only has to outlast a starved CI machine (10 s failed a restart test whose checks came late, 2026-12-07).
            ["Deployments:ProgressDeadline"] = "00:00:30",
            // Argo's 30s abort scale-down delay would hold every rolled-back test release; tests of the delay set their own.
            ["Deployments:AbortScaleDownDelay"] = "00:00:00",
            ["Clusters:ConvergenceTime"] = "00:00:00.200",
            ["Clusters:Simulated"] = "local-east=eastus,local-west=westus",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            values[k] = v;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(values);
        AppComposition.AddServices(builder);
        builder.WebHost.UseTestServer();
        components ??= new TestComponents();
        var access = new TestAccessPolicy();
        var publisher = new RecordingPublisher();
        builder.Services.RemoveAll<IComponentLookup>();
        builder.Services.AddSingleton<IComponentLookup>(components);
        builder.Services.RemoveAll<IAccessPolicy>();
        builder.Services.AddSingleton<IAccessPolicy>(access);
        // Users the local dev issuer can sign in (the identity feature reads them from the catalog directory).
        builder.Services.RemoveAll<ICatalogDirectory>();
        builder.Services.AddSingleton<ICatalogDirectory>(new Identity.InMemoryCatalogDirectory()
            .AddGroup("team").AddGroup("release-managers")
            .AddUser("jane", "jane@example.com", ["team"]).AddUser("ann", "ann@example.com", ["release-managers"]));
        builder.Services.RemoveAll<INotificationPublisher>();
        builder.Services.AddSingleton<INotificationPublisher>(publisher);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        AppComposition.MapEndpoints(app);
        await app.StartAsync();
        return new DeploymentHarness(app, dataDir, components, access, publisher);
    }

    /// <summary>A client signed in as <paramref name="user"/> (jane or ann) through the local dev issuer.</summary>
    public async Task<HttpClient> SignInAsync(string user)
    {
        using var r = await Http.PostAsJsonAsync("/api/auth/dev-token", new { user = $"user:default/{user}" });
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"dev-token for {user}: {(int)r.StatusCode} {body}");
        var client = _app.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString());
        return client;
    }

    public async Task<DeploymentAccepted> DeployAsync(string component, string environment, string version, Caller? caller = null)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IDeploymentService>()
            .StartAsync(new DeploymentRequest(component, environment, version, "test"), caller ?? User("jane"), CancellationToken.None);
    }

    public async Task ControlAsync(string id, string control, Caller? caller = null, string? comment = null)
    {
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IDeploymentService>().SendControlAsync(id, control, comment, caller ?? User("jane"), CancellationToken.None);
    }

    public Task<DeploymentRecord?> GetAsync(string id) => Services.GetRequiredService<DeploymentStore>().GetAsync(id, CancellationToken.None);

    /// <summary>Waits until the deployment's record satisfies <paramref name="condition"/>.</summary>
    public async Task<DeploymentRecord> WaitForAsync(string id, Func<DeploymentRecord, bool> condition, string what, int seconds = 60)
    {
        DeploymentRecord? last = null;
        try
        {
            return await Eventually.ValueAsync(async () => (last = await GetAsync(id)) is { } r && condition(r) ? r : null, TimeSpan.FromSeconds(seconds), $"deployment {id} {what}", TimeSpan.FromMilliseconds(100));
        }
        catch (TimeoutException e) when (last is not null)
        {
            var steps = string.Join("\n", last.Steps.Select(s => $"  {s.Name}: {s.Status} {s.Message}"));
            var analysis = string.Join("\n", last.Release?.Analysis.Select(a => $"  {a.Metric} = {a.Value} ({a.Result}) {a.Message}") ?? []);
            throw new TimeoutException($"{e.Message}\nLast seen {last.Status}: {last.Message}\n{steps}\n{analysis}", e);
        }
    }

    public Task<DeploymentRecord> WaitForStatusAsync(string id, string status, int seconds = 60) =>
        WaitForAsync(id, r => r.Status == status || (DeploymentStatuses.IsFinished(r.Status) && r.Status != status ? throw new InvalidOperationException($"deployment ended {r.Status}: {r.Message}") : false), $"to be {status}", seconds);

    /// <summary>Commits of a deployment in the repository, oldest first.</summary>
    public async Task<IReadOnlyList<GitCommit>> CommitsOfAsync(RepoRef repo, string deploymentId)
    {
        if (await Git.GetRepositoryAsync(repo, CancellationToken.None) is null)
        {
            return [];
        }

        return (await Git.LogAsync(repo, "main", null, 200, CancellationToken.None)).Where(c => c.Message.Contains($"{GitOpsWriter.DeploymentTrailer}: {deploymentId}\n", StringComparison.Ordinal)).Reverse().ToList();
    }

    /// <summary>Waits for a notification of <paramref name="type"/> about <paramref name="deploymentId"/> (published just after the status is saved).</summary>
    public Task<NotificationEvent> NotifiedAsync(string type, string deploymentId) =>
        Eventually.ValueAsync(() => Task.FromResult(Notifications.Events.FirstOrDefault(e => e.Type == type && e.Subject == deploymentId)), TimeSpan.FromSeconds(10), $"a {type} notification for {deploymentId}");

    public async Task<DesiredState?> DesiredAsync(RepoRef repo, string environment) =>
        DesiredStateFiles.ParseValues(await Git.ReadFileAsync(repo, $"{environment}/{DesiredStateFiles.Values}", "main", CancellationToken.None));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }
}

/// <summary>Components the test declares (stands in for the catalog).</summary>
public sealed class TestComponents : IComponentLookup
{
    private readonly ConcurrentDictionary<string, ComponentInfo> _items = new(StringComparer.Ordinal);

    public void Add(string name, string environments, string? repo = null, string? sourceSlug = null)
    {
        var annotations = new Dictionary<string, string> { ["idp.dev/environments"] = environments };
        if (repo is not null)
        {
            annotations["idp.dev/deployment-repo"] = repo;
        }

        if (sourceSlug is not null)
        {
            annotations["github.com/project-slug"] = sourceSlug;
        }

        _items[$"component:default/{name}"] = new ComponentInfo($"component:default/{name}", "group:default/team", annotations);
    }

    public ValueTask<ComponentInfo?> FindAsync(string componentRef, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_items.GetValueOrDefault(componentRef));
}

/// <summary>Allows everything except the permissions the test denies to a user.</summary>
public sealed class TestAccessPolicy : IAccessPolicy
{
    private readonly ConcurrentDictionary<(string User, string Permission), bool> _denied = new();

    public void Deny(string userRef, string permission) => _denied[(userRef, permission)] = true;

    public ValueTask<AccessDecision> DecideAsync(Caller caller, string permission, AccessResource? resource, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_denied.ContainsKey((caller.UserRef, permission))
            ? AccessDecision.Deny(permission, $"{caller.UserRef} lacks {permission}")
            : AccessDecision.Allow(permission));
}

/// <summary>Keeps every published notification.</summary>
public sealed class RecordingPublisher : INotificationPublisher
{
    private readonly ConcurrentQueue<NotificationEvent> _events = new();

    public IReadOnlyList<NotificationEvent> Events => _events.ToList();

    public Task PublishAsync(NotificationEvent notification, CancellationToken cancellationToken)
    {
        _events.Enqueue(notification);
        return Task.CompletedTask;
    }

    public Task PublishAsync(NotificationEvent notification, string outboxId, CancellationToken cancellationToken) => PublishAsync(notification, cancellationToken);
}
