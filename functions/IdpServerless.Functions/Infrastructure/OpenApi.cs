namespace IdpServerless.Functions.Infrastructure;

/// <summary>The OpenAPI document of every HTTP function, at a stable URL: <c>/api/openapi/v1.json</c>.</summary>
public static class OpenApi
{
    public const string Route = "/api/openapi/{documentName}.json";

    public static IServiceCollection AddAppOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "IdpServerless API";
            doc.Info.Description = "Internal Developer Portal backend: catalog, templates, deployments, delivery, clusters, docs, audit and identity.";
            return Task.CompletedTask;
        }));
        return services;
    }

    public static IEndpointRouteBuilder MapAppOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi(Route).WithMetadata(new IdpServerless.Hosting.Security.AnonymousFunction("API description"));
        return app;
    }
}
