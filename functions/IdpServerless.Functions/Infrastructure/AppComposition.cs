using IdpServerless.Functions.Audit;
using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Api;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.ChatOps;
using IdpServerless.Functions.Diagnostics;
using IdpServerless.Functions.Docs;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Orchestration;
using IdpServerless.Functions.Identity;
using IdpServerless.Functions.Secrets;
using IdpServerless.Functions.Templates;
using IdpServerless.Functions.Notifications;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting;

namespace IdpServerless.Functions.Infrastructure;

/// <summary>
/// The one list of the app's features. The running app and the function-metadata generator both build from it, so
/// every function declared here is served, dispatched and published alike. Add a feature with one line in each method.
/// </summary>
public static class AppComposition
{
    public static void AddServices(WebApplicationBuilder builder)
    {
        builder.AddFunctionApp();
        var services = builder.Services;
        var config = builder.Configuration;
        services.AddAppTelemetry(config);
        services.AddAppOpenApi();
        services.AddDiagnosticsProbe();
        services.AddGitProvider(config);
        services.AddOrchestration(config);
        services.AddCatalog(config);
        services.AddIdentity(config).AddAudit().AddSecrets();
        services.AddDocs(config);
        services.AddDeployments(config);
        services.AddTemplates(config);
        services.AddWebhooks(config);
        services.AddNotifications(config);
        services.AddChatOps(config);
    }

    public static void MapEndpoints(WebApplication app)
    {
        app.UseFunctionApp();
        app.UseIdentity().MapAuditApi().MapSecretsApi();
        app.MapAppOpenApi();
        app.MapGitApi();
        app.MapOrchestrationApi();
        app.MapCatalogApi();
        app.MapDocsApi();
        app.MapDeploymentsApi();
        app.MapTemplates();
        app.MapWebhooksApi();
        app.MapNotificationsApi();
        app.MapChatOpsApi();
    }
}
