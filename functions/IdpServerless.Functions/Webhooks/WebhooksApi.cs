using IdpServerless.Hosting.Features;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Webhooks;

/// <summary>Git webhook intake and the pull-request count.</summary>
public static class WebhooksApi
{
    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var limit = new RequestBodyLimit(ReceiveWebhook.MaxPayloadBytes(app.ServiceProvider.GetRequiredService<IConfiguration>()));
        var hooks = app.MapGroup("/api/webhooks").WithTags("Webhooks").WithMetadata(limit);
        hooks.MapPost("/github", (HttpContext http, ReceiveWebhook intake, CancellationToken ct) => intake.GitHubAsync(http, ct))
            .WithName("ReceiveGitHubWebhook").AllowAnonymousFunction("signature-verified webhook");
        hooks.MapPost("/gitlab", (HttpContext http, ReceiveWebhook intake, CancellationToken ct) => intake.GitLabAsync(http, ct))
            .WithName("ReceiveGitLabWebhook").AllowAnonymousFunction("signature-verified webhook");

        app.MapGet("/api/components/{namespace}/{name}/pull-requests",
                async (string @namespace, string name, PullRequestStore store, CancellationToken ct) =>
                {
                    string component;
                    try
                    {
                        component = EntityRefs.Component($"{@namespace}/{name}");
                    }
                    catch (FormatException e)
                    {
                        throw ProblemException.NotFound(e.Message);
                    }

                    return Results.Ok(await store.CountAsync(component, ct));
                })
            .WithName("GetComponentPullRequests").WithTags("Webhooks")
            .RequirePermission(Permissions.CatalogRead, resourceFromRoute: true);
        return app;
    }

    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<StorageOnce>();
        services.AddSingleton<ISecretReferences, ResolverSecretReferences>();
        services.AddSingleton<WebhookSecrets>();
        services.AddFeatureCheck(_ => WebhookSecrets.Check(configuration));
        services.AddSingleton<ReceiveWebhook>();
        services.AddSingleton<IEventCatalog, CatalogEventCatalog>();
        services.AddScoped<PullRequestStore>();
        return services;
    }
}
