using System.Security.Claims;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Infrastructure;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Events;

/// <summary>
/// The real app (AppComposition, queue dispatchers and all) in-process against the fixture's Azurite, with test doubles
/// for the features that land in parallel (catalog, identity policy and audit, deployments). A request header
/// <c>X-Test-User: user:default/name</c> signs the request in as that catalog user (identity's authentication stands in).
/// With <c>realCatalog</c> the catalog feature itself answers (directory and component lookups); with <c>realPolicy</c>
/// identity's RBAC decides.
/// </summary>
public sealed class EventsAppHost : IAsyncDisposable
{
    public const string TestUserHeader = "X-Test-User";

    private readonly WebApplication _app;

    private EventsAppHost(WebApplication app, Doubles doubles)
    {
        _app = app;
        Client = app.GetTestClient();
        Directory = doubles.Directory;
        Catalog = doubles.Catalog;
        Policy = doubles.Policy;
        Audit = doubles.Audit;
        Deployments = doubles.Deployments;
        Logs = doubles.Logs;
    }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public TestDirectory Directory { get; }

    public TestEventCatalog Catalog { get; }

    public TestAccessPolicy Policy { get; }

    public RecordingAuditLog Audit { get; }

    public RecordingDeploymentService Deployments { get; }

    public CapturedLogs Logs { get; }

    public StorageClient Storage => _app.Services.GetRequiredService<StorageClient>();

    public static async Task<EventsAppHost> StartAsync(AzuriteFixture azurite, IDictionary<string, string?>? settings = null, bool realCatalog = false, bool realPolicy = false)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        var values = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Dispatch:MaxPollingInterval"] = "00:00:00.200",
            ["Dispatch:VisibilityTimeout"] = "00:00:02",
            ["Dispatch:RetryDelay"] = "00:00:00.050",
            ["Dispatch:MaxRetryDelay"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            values[k.Replace("__", ":", StringComparison.Ordinal)] = v;
        }

        builder.Configuration.AddInMemoryCollection(values);
        AppComposition.AddServices(builder);
        builder.WebHost.UseTestServer();
        var doubles = new Doubles();
        if (!realCatalog)
        {
            builder.Services.AddSingleton<ICatalogDirectory>(doubles.Directory);
            builder.Services.AddSingleton<IEventCatalog>(doubles.Catalog);
        }

        if (!realPolicy)
        {
            builder.Services.AddSingleton<IAccessPolicy>(doubles.Policy);
        }

        builder.Services.AddSingleton<IAuditLog>(doubles.Audit);
        builder.Services.AddSingleton<IDeploymentService>(doubles.Deployments);
        builder.Logging.AddProvider(doubles.Logs);
        var app = builder.Build();
        doubles.Deployments.Policy = app.Services.GetRequiredService<IAccessPolicy>();
        app.Use(async (context, next) =>
        {
            var userRef = context.Request.Headers[TestUserHeader].ToString();
            if (userRef.Length > 0 && doubles.Directory.Users.TryGetValue(userRef, out var user))
            {
                var claims = new List<Claim> { new(Caller.UserRefClaim, user.Ref), new(Caller.ChannelClaim, Channels.Api) };
                claims.AddRange(user.Groups.Select(g => new Claim(Caller.GroupClaim, g)));
                context.User = new ClaimsPrincipal(new ClaimsIdentity(claims, "test"));
            }

            await next(context);
        });
        AppComposition.MapEndpoints(app);
        await app.StartAsync();
        return new EventsAppHost(app, doubles);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class Doubles
    {
        public Doubles() => Deployments = new RecordingDeploymentService(Policy);

        public TestDirectory Directory { get; } = new();

        public TestEventCatalog Catalog { get; } = new();

        public TestAccessPolicy Policy { get; } = new();

        public RecordingAuditLog Audit { get; } = new();

        public RecordingDeploymentService Deployments { get; }

        public CapturedLogs Logs { get; } = new();
    }
}
