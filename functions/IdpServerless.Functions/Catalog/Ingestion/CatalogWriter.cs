using System.Text.Json;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Storage;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Catalog.Ingestion;

/// <summary>What applying a location's entities did.</summary>
public sealed record WriteReport(int Written, int Unchanged, int Orphaned, IReadOnlyList<LocationConflict> Conflicts);

/// <summary>
/// Stores what a location produced: new and changed entities are written (unchanged ones are not, unless their
/// refresh time is getting old), entities the location no longer emits are marked orphans, and entities another live
/// location already owns are left alone and reported as conflicts (first one wins). Storage first, then this
/// instance's index, then the change log the other instances follow: a crash in between is repaired by the next load.
/// </summary>
public sealed class CatalogWriter(CatalogIndex index, LocationRegistry locations, CatalogStore store, CatalogChangeLog changes, TimeProvider time, IOptions<CatalogOptions> options)
{
    private readonly CatalogOptions _options = options.Value;

    /// <summary>Entities of <paramref name="entities"/> that a live location other than <paramref name="locationId"/> owns.</summary>
    public List<LocationConflict> FindConflicts(string locationId, IEnumerable<ProcessedEntity> entities)
    {
        var conflicts = new List<LocationConflict>();
        foreach (var entity in entities)
        {
            if (OwnedElsewhere(locationId, index.Get(entity.RefKey)) is { } owner)
            {
                conflicts.Add(new LocationConflict(entity.RefKey, owner.Id, owner.Spec.ToString()));
            }
        }

        return conflicts;
    }

    public async Task<WriteReport> ApplyAsync(LocationRecord location, ProcessingResult result, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var touchAfter = _options.StaleAfter / 4;
        var conflicts = new List<LocationConflict>();
        var writes = new List<EntityWrite>();
        var emitted = new HashSet<string>(StringComparer.Ordinal);
        var unchanged = 0;
        foreach (var entity in result.Entities)
        {
            emitted.Add(entity.RefKey);
            var existing = index.Get(entity.RefKey);
            if (OwnedElsewhere(location.Id, existing) is { } owner)
            {
                conflicts.Add(new LocationConflict(entity.RefKey, owner.Id, owner.Spec.ToString()));
                continue;
            }

            var hash = entity.Hash;
            var stored = existing?.Stored;
            if (stored is not null && stored.LocationId == location.Id && stored.Hash == hash && stored.ParentRef == entity.ParentRef && now - stored.RefreshedAt < touchAfter)
            {
                unchanged++;
                continue;
            }

            var uid = stored?.Uid ?? EntityBody.NewUid();
            var etag = stored is not null && stored.Hash == hash ? stored.Etag : EntityBody.NewEtag();
            var next = new StoredEntity(entity.RefKey, uid, etag, location.Id, entity.ParentRef, now, hash, EntityBody.WithIds(entity.Json, uid, etag));
            writes.Add(stored is null
                ? new EntityWrite(next, EntityWriteMode.Insert)
                : new EntityWrite(next, stored.TableETag is null ? EntityWriteMode.Upsert : EntityWriteMode.Replace, stored.TableETag));
        }

        var orphaned = 0;
        foreach (var record in index.Where(r => r.Stored.LocationId == location.Id && !r.IsOrphan))
        {
            if (emitted.Contains(record.RefKey))
            {
                continue;
            }

            // A file that failed to read or parse this time says nothing about whether its entities still exist.
            var source = record.Annotations.GetValueOrDefault(CatalogAnnotations.ManagedByLocation);
            if (result.HasFailures && (source is null || !result.CleanSources.Contains(source)))
            {
                continue;
            }

            writes.Add(Orphan(record.Stored, now));
            orphaned++;
        }

        var applied = await WriteAsync(location.Id, writes, conflicts, ct).ConfigureAwait(false);
        await PublishAsync(applied, [], [], ct).ConfigureAwait(false);
        return new WriteReport(applied.Count, unchanged, orphaned, conflicts);
    }

    /// <summary>Marks every entity of a deleted location as an orphan (kept, as Backstage keeps them by default).</summary>
    public async Task OrphanAllAsync(string locationId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var writes = index.Where(r => r.Stored.LocationId == locationId && !r.IsOrphan).Select(r => Orphan(r.Stored, now)).ToList();
        var applied = await WriteAsync(locationId, writes, [], ct).ConfigureAwait(false);
        await PublishAsync(applied, [], [locationId], ct).ConfigureAwait(false);
    }

    /// <summary>Removes one entity from storage and every index.</summary>
    public async Task DeleteAsync(StoredEntity entity, CancellationToken ct)
    {
        await store.WriteAsync([new EntityWrite(entity, EntityWriteMode.Delete)], ct).ConfigureAwait(false);
        await PublishAsync([], [entity.RefKey], [], ct).ConfigureAwait(false);
    }

    /// <summary>Records a location change for this instance and the others.</summary>
    public async Task PublishLocationAsync(LocationRecord? location, string id, CancellationToken ct)
    {
        if (location is null)
        {
            locations.Remove(id);
        }
        else
        {
            locations.Set(location);
        }

        await changes.PublishAsync([], [id], ct).ConfigureAwait(false);
    }

    private LocationRecord? OwnedElsewhere(string locationId, EntityRecord? existing)
    {
        if (existing is null || existing.IsOrphan || existing.Stored.LocationId is not { } owner || owner == locationId)
        {
            return null;
        }

        return locations.Get(owner);
    }

    private static EntityWrite Orphan(StoredEntity stored, DateTimeOffset now)
    {
        var body = EntityBody.WithoutIds(stored.Body);
        EntityBody.SetOrphan(body, true);
        var json = JsonSerializer.SerializeToUtf8Bytes(body);
        var etag = EntityBody.NewEtag();
        var next = stored with { Etag = etag, Hash = EntityBody.Hash(json), Body = EntityBody.WithIds(json, stored.Uid, etag) };
        return new EntityWrite(next, stored.TableETag is null ? EntityWriteMode.Upsert : EntityWriteMode.Replace, stored.TableETag);
    }

    /// <summary>
    /// Writes, then settles the writes another instance raced: a row that is still ours (or orphaned, or owned by a
    /// location that no longer exists) is overwritten; a row another live location took is reported as a conflict.
    /// </summary>
    private async Task<List<StoredEntity>> WriteAsync(string locationId, List<EntityWrite> writes, List<LocationConflict> conflicts, CancellationToken ct)
    {
        var applied = new List<StoredEntity>(writes.Count);
        if (writes.Count == 0)
        {
            return applied;
        }

        var outcomes = await store.WriteAsync(writes, ct).ConfigureAwait(false);
        var retries = new List<EntityWrite>();
        foreach (var outcome in outcomes)
        {
            if (outcome.Succeeded)
            {
                applied.Add(outcome.Write.Entity with { TableETag = outcome.TableETag });
                continue;
            }

            var current = await store.GetAsync(outcome.Write.Entity.RefKey, ct).ConfigureAwait(false);
            var claimable = current is null || current.LocationId == locationId || current.LocationId is null || !locations.Contains(current.LocationId)
                || EntityBody.WithoutIds(current.Body)["metadata"]?["annotations"]?[CatalogAnnotations.Orphan]?.GetValue<string>() == "true";
            if (!claimable)
            {
                var owner = locations.Get(current!.LocationId!);
                conflicts.Add(new LocationConflict(outcome.Write.Entity.RefKey, current.LocationId!, owner?.Spec.ToString()));
                continue;
            }

            var entity = outcome.Write.Entity;
            if (current is not null && current.Uid != entity.Uid)
            {
                entity = entity with { Uid = current.Uid, Body = EntityBody.WithIds(JsonSerializer.SerializeToUtf8Bytes(EntityBody.WithoutIds(entity.Body)), current.Uid, entity.Etag) };
            }

            retries.Add(new EntityWrite(entity, EntityWriteMode.Upsert));
        }

        if (retries.Count > 0)
        {
            foreach (var outcome in await store.WriteAsync(retries, ct).ConfigureAwait(false))
            {
                if (outcome.Succeeded)
                {
                    applied.Add(outcome.Write.Entity with { TableETag = outcome.TableETag });
                }
            }
        }

        return applied;
    }

    private async Task PublishAsync(List<StoredEntity> upserts, IReadOnlyCollection<string> deletes, IReadOnlyCollection<string> locationIds, CancellationToken ct)
    {
        if (upserts.Count == 0 && deletes.Count == 0 && locationIds.Count == 0)
        {
            return;
        }

        index.Apply(upserts, deletes);
        await changes.PublishAsync([.. upserts.Select(u => u.RefKey), .. deletes], locationIds, ct).ConfigureAwait(false);
    }
}
