using IdpServerless.Functions.Docs.Building;
using IdpServerless.Functions.Docs.Search;
using IdpServerless.Functions.Docs.Sources;
using IdpServerless.Hosting.Functions;

namespace IdpServerless.Functions.Docs;

public static class DocsRegistration
{
    /// <summary>TechDocs: options, source resolution, the builder and store, the search index and its follower, the build queue function and the refresh timer.</summary>
    public static IServiceCollection AddDocs(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<DocsOptions>().BindConfiguration(DocsOptions.Section)
            .Validate(o => o.SyncBuildTimeout > TimeSpan.Zero && o.SyncInterval > TimeSpan.Zero && o.RebuildAfter > TimeSpan.Zero, "Docs durations must be positive.")
            .Validate(o => o.MaxFiles > 0 && o.MaxPages > 0 && o.MaxPageBytes > 0 && o.MaxAssetBytes > 0 && o.MaxSiteBytes > 0, "Docs limits must be positive.")
            .ValidateOnStart();
        services.AddSingleton<IDocsEntities, CatalogDocsEntities>();
        services.AddSingleton<DocsSourceResolver>();
        services.AddSingleton<DocsSiteBuilder>();
        services.AddSingleton<DocsStore>();
        services.AddSingleton<DocsSearchIndex>();
        services.AddSingleton<BuildDocsSite>();
        services.AddSingleton<DocsBuildQueue>();
        services.AddSingleton<ReadDocs>();
        services.AddSingleton<DocsIndexFollower>();
        services.AddHostedService(sp => sp.GetRequiredService<DocsIndexFollower>());
        return services;
    }
}
