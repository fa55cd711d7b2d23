namespace IdpServerless.Functions.Catalog.Index;

public sealed partial class CatalogIndex
{
    /// <summary>
    /// Every stored entity and the index version they make up, copied under the read lock (the entities themselves
    /// are immutable), for a snapshot written outside it.
    /// </summary>
    public (List<StoredEntity> Entities, long Version) Capture()
    {
        _lock.EnterReadLock();
        try
        {
            var entities = new List<StoredEntity>(_byRef.Count);
            foreach (var record in _byRef.Values)
            {
                entities.Add(record.Stored);
            }

            return (entities, Version);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }
}
