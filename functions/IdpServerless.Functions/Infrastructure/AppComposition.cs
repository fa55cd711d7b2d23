using IdpServerless.Functions.Insights;
using IdpServerless.Functions.Audit;
using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Api;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.ChatOps;
using IdpServerless.Functions.Docs;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Orchestration;
using IdpServerless.Functions.Identity;
using IdpServerless.Functions.Secrets;
using IdpServerless.Functions.Templates;
using IdpServerless.Functions.Notifications;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting;
using IdpServerless.Hosting.Worker;

namespace IdpServerless.Functions.Infrastructure;

/// <summary>
/// The one list of the app's features. The running app and the function-metadata generator both build from it, so
/// every function declared here is served, dispatched and published alike. Add a feature with one line in each method.
/// </summary>
public static class AppComposition
{
    /// <summary>Every service of the app, for either host (a <c>WebApplicationBuilder</c> standalone, the worker's builder under the Functions host).</summary>
    public static void AddServices(IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFunctionApp(FunctionSettings.Defaults, typeof(AppComposition).Assembly);
        var services = builder.Services;
        var config = builder.Configuration;
        services.AddSingleton(new HttpPipelineDefinition(Configure));
        services.AddAppTelemetry(config);
        services.AddAppOpenApi();
        services.AddGitProvider(config);
        services.AddOrchestration(config);
        services.AddCatalog(config);
        services.AddIdentity(config).AddAudit().AddSecrets();
        services.AddDocs(config);
        services.AddDeployments(config);
        services.AddInsights();
        services.AddTemplates(config);
        services.AddWebhooks(config);
        services.AddNotifications(config);
        services.AddChatOps(config);
    }

    /// <summary>Standalone: the HTTP pipeline on Kestrel.</summary>
    public static void MapEndpoints(WebApplication app) => Configure(app, app);

    /// <summary>The one HTTP pipeline: middleware on <paramref name="app"/>, the route table on <paramref name="endpoints"/>.</summary>
    public static void Configure(IApplicationBuilder app, IEndpointRouteBuilder endpoints)
    {
        app.UseFunctionApp(endpoints);
        app.UseIdentity(endpoints);
        endpoints.MapAuditApi().MapSecretsApi();
        endpoints.MapAppOpenApi();
        endpoints.MapGitApi();
        endpoints.MapOrchestrationApi();
        endpoints.MapCatalogApi();
        endpoints.MapDocsApi();
        endpoints.MapDeploymentsApi();
        endpoints.MapInsightsApi();
        endpoints.MapTemplates();
        endpoints.MapWebhooksApi();
        endpoints.MapNotificationsApi();
        endpoints.MapChatOpsApi();
    }
}
