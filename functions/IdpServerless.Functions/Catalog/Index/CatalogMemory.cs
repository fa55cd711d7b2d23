namespace IdpServerless.Functions.Catalog.Index;

/// <summary>
/// Gives memory back after a bulk change of the catalog. Loading or ingesting tens of thousands of entities leaves
/// hundreds of MiB of garbage on the large-object heap (parsed documents, batch buffers, the registration's answer),
/// which only a full collection frees; with no further large allocations that collection may not come for a long time
/// and the process keeps the memory (measured: ~260 MiB of dead LOH after a 50,000-entity ingest, docs/benchmarks.md).
/// One aggressive, compacting full collection after such a change returns it to the OS at the cost of one pause.
/// </summary>
public static class CatalogMemory
{
    /// <summary>Entities changed at once from which a collection is worth its pause.</summary>
    public const int BulkThreshold = 10_000;

    /// <summary>Collects (blocking, compacting, decommitting) when <paramref name="changed"/> reaches <see cref="BulkThreshold"/>.</summary>
    public static void CompactAfterBulkChange(int changed)
    {
        if (changed >= BulkThreshold)
        {
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }
}
