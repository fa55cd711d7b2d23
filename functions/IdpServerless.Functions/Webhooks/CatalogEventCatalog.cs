using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Index;

namespace IdpServerless.Functions.Webhooks;

/// <summary>
/// <see cref="IEventCatalog"/> over the catalog's in-memory index: components by annotation through the index's
/// filter query, location targets from the registered locations plus every entity's
/// <c>backstage.io/managed-by-location</c> (so files found by discovery count too).
/// </summary>
public sealed class CatalogEventCatalog(CatalogIndex index, LocationRegistry locations, CatalogService service) : IEventCatalog
{
    private const int MaxComponents = 200;

    public async Task<IReadOnlyList<CatalogComponent>> FindComponentsByAnnotationAsync(string annotation, string value, CancellationToken cancellationToken)
    {
        await service.EnsureReadyAsync(cancellationToken);
        var query = new EntityQuery([new FilterSet([
            new FilterCondition("kind", ["component"]),
            new FilterCondition("metadata.annotations." + annotation.ToLowerInvariant(), [value.Trim().ToLowerInvariant()])])], []);
        return [.. index.Query(query, MaxComponents).Items.Select(ToComponent)];
    }

    public async Task<CatalogComponent?> GetComponentAsync(string componentRef, CancellationToken cancellationToken)
    {
        await service.EnsureReadyAsync(cancellationToken);
        return index.Get(componentRef) is { Kind: "Component" } record ? ToComponent(record) : null;
    }

    public async Task<IReadOnlyList<string>> ListLocationTargetsAsync(CancellationToken cancellationToken)
    {
        await service.EnsureReadyAsync(cancellationToken);
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var l in locations.All)
        {
            targets.Add(l.Type == "git" ? "git:" + l.Target : l.Target);
        }

        foreach (var r in index.Where(r => r.Annotations.ContainsKey(CatalogAnnotations.ManagedByLocation)))
        {
            var managedBy = r.Annotations[CatalogAnnotations.ManagedByLocation];
            targets.Add(managedBy.StartsWith("url:", StringComparison.Ordinal) ? managedBy[4..] : managedBy);
        }

        return [.. targets];
    }

    private static CatalogComponent ToComponent(EntityRecord r) => new(r.RefKey, r.Annotations);
}
