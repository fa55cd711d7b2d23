using IdpServerless.Functions.Catalog.Functions;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Ingestion;
using IdpServerless.Functions.Catalog.Storage;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Security;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Catalog;

public static class CatalogRegistration
{
    /// <summary>The catalog: options, the in-memory index and its change-log follower, ingestion, the refresh functions and the directory.</summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<CatalogOptions>().BindConfiguration(CatalogOptions.Section)
            .Validate(o => o.StaleAfter > TimeSpan.Zero && o.ChangeFeedInterval > TimeSpan.Zero && o.MaxDocumentBytes > 0, "Catalog options must be positive.")
            .ValidateOnStart();
        services.AddSingleton(sp => new CatalogIndex(sp.GetRequiredService<IOptions<CatalogOptions>>().Value));
        services.AddSingleton(sp => new CatalogReadGate(sp.GetRequiredService<IOptions<CatalogOptions>>().Value));
        services.AddSingleton<LocationRegistry>();
        services.AddSingleton<CatalogStore>();
        services.AddSingleton<CatalogChangeLog>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogChangeLog>());
        services.AddSingleton<CatalogSnapshots>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogSnapshots>());
        services.AddSingleton<IStartupFilter, Api.CatalogLoadingRetryAfter>();
        services.AddSingleton<LocationReader>();
        services.AddSingleton<LocationProcessor>();
        services.AddSingleton<CatalogWriter>();
        services.AddSingleton<CatalogService>();
        services.AddSingleton<ICatalogDirectory, CatalogDirectory>();
        services.AddHostedService<DemoCatalogLoader>();
        services.AddHttpClient(LocationReader.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        return services;
    }
}
