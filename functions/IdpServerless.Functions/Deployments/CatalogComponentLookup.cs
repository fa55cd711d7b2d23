using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;

namespace IdpServerless.Functions.Deployments;

/// <summary>Components from the catalog's in-memory index (no storage round trip on the trigger path).</summary>
public sealed class CatalogComponentLookup(CatalogIndex index, CatalogService catalog) : IComponentLookup
{
    public async ValueTask<ComponentInfo?> FindAsync(string componentRef, CancellationToken cancellationToken)
    {
        await catalog.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        if (index.Get(componentRef) is not { Kind: "Component" } record)
        {
            return null;
        }

        var owner = record.Relations.Where(r => r.Type == RelationTypes.OwnedBy).Select(r => r.TargetRef).FirstOrDefault();
        return new ComponentInfo(record.RefKey, owner, record.Annotations);
    }
}
