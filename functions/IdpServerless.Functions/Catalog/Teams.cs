using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;

namespace IdpServerless.Functions.Catalog;

/// <summary>
/// Teams as the catalog draws them: a group with its child groups (parentOf, transitively, cycles ignored), what they
/// own (ownerOf), and for an entity every team above its owners (ownedBy, then childOf upwards), so a parent team's
/// figures include its children's.
/// </summary>
public static class Teams
{
    /// <summary>The group and every group below it, the group first.</summary>
    public static List<string> WithDescendants(CatalogIndex index, string groupRef) => Walk(index, [groupRef], RelationTypes.ParentOf);

    /// <summary>Refs of the entities owned by the group or any group below it (optionally of one kind, lowercase).</summary>
    public static List<string> Owned(CatalogIndex index, string groupRef, string? kind = null)
    {
        var owned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in WithDescendants(index, groupRef))
        {
            if (index.Get(group) is not { } record)
            {
                continue;
            }

            foreach (var r in record.Relations)
            {
                if (r.Type == RelationTypes.OwnerOf && (kind is null || r.TargetRef.StartsWith(kind + ":", StringComparison.Ordinal)))
                {
                    owned.Add(r.TargetRef);
                }
            }
        }

        return [.. owned.Order(StringComparer.Ordinal)];
    }

    /// <summary>Every group an entity counts towards: its owner groups and all their ancestors.</summary>
    public static List<string> Above(CatalogIndex index, EntityRecord entity) =>
        Upwards(index, entity.Relations.Where(r => r.Type == RelationTypes.OwnedBy && r.TargetRef.StartsWith("group:", StringComparison.Ordinal)).Select(r => r.TargetRef));

    /// <summary>The group and every group above it (childOf, transitively), the group first.</summary>
    public static List<string> WithAncestors(CatalogIndex index, string groupRef) => Upwards(index, [groupRef]);

    private static List<string> Upwards(CatalogIndex index, IEnumerable<string> start) => Walk(index, start, RelationTypes.ChildOf);

    /// <summary>Breadth-first along one relation type from <paramref name="start"/>, each group once (cycles ignored), in visiting order.</summary>
    private static List<string> Walk(CatalogIndex index, IEnumerable<string> start, string relation)
    {
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>(start);
        while (pending.Count > 0)
        {
            var group = pending.Dequeue();
            if (!seen.Add(group))
            {
                continue;
            }

            result.Add(group);
            if (index.Get(group) is { } record)
            {
                foreach (var next in record.Relations)
                {
                    if (next.Type == relation)
                    {
                        pending.Enqueue(next.TargetRef);
                    }
                }
            }
        }

        return result;
    }
}
