using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Api;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Ingestion;
using IdpServerless.Functions.Catalog.Model;

namespace IdpServerless.Functions.Templates.Catalog;

/// <summary><see cref="IScaffolderCatalog"/> over the catalog's own service and in-memory index.</summary>
public sealed class CatalogScaffolderCatalog(CatalogService catalog, CatalogIndex index, LocationRegistry locations) : IScaffolderCatalog
{
    public async Task<JsonObject?> GetEntityAsync(string entityRef, CancellationToken cancellationToken)
    {
        await catalog.EnsureReadyAsync(cancellationToken);
        var key = EntityRef.Parse(entityRef).ToString();
        return index.Get(key) is { } record ? JsonNode.Parse(EntityJson.Bytes(record)) as JsonObject : null;
    }

    public async Task<CatalogRegistration> RegisterLocationAsync(string type, string target, CancellationToken cancellationToken)
    {
        var outcome = await catalog.RegisterAsync(new LocationSpec(type, target), dryRun: false, cancellationToken);
        var refs = outcome.Entities.Select(e => e.RefKey).ToList();
        if (refs.Count == 0)
        {
            refs = index.Where(r => r.Stored.LocationId == outcome.Location.Id).Select(r => r.RefKey).ToList();
        }

        return new CatalogRegistration(outcome.Location.Id, refs);
    }

    /// <summary>Deletes the entities the location produced, then the location (which alone would leave them as orphans).</summary>
    public async Task<bool> UnregisterLocationAsync(string type, string target, CancellationToken cancellationToken)
    {
        await catalog.EnsureReadyAsync(cancellationToken);
        if (locations.Find(type, target) is not { } location)
        {
            return false;
        }

        foreach (var record in index.Where(r => r.Stored.LocationId == location.Id))
        {
            await catalog.DeleteEntityAsync(record, cancellationToken);
        }

        return await catalog.DeleteLocationAsync(location.Id, cancellationToken);
    }
}
