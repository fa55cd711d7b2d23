using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;

namespace IdpServerless.Functions.Docs;

/// <summary>Docs' view of the catalog, read from its in-memory index (cheap; waits for the first load).</summary>
public sealed class CatalogDocsEntities(CatalogIndex index, CatalogService catalog) : IDocsEntities
{
    public async ValueTask<DocsEntity?> FindAsync(string kind, string ns, string name, CancellationToken cancellationToken)
    {
        await catalog.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        return index.Get(EntityRef.Key(kind, ns, name)) is { } record ? From(record) : null;
    }

    public async ValueTask<IReadOnlyList<DocsEntity>> WithDocsAsync(CancellationToken cancellationToken)
    {
        await catalog.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        return index.Where(r => r.Annotations.ContainsKey(DocsKeys.TechDocsRef)).Select(From).ToList();
    }

    private static DocsEntity From(EntityRecord record) =>
        new(record.Kind, record.Namespace, record.Name, record.Annotations, record.Stored.Hash);
}
