using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>Reading and deleting single entities: by name, by uid, their ancestry, and batches by ref.</summary>
public static class GetEntities
{
    public static async Task<IResult> ByNameAsync(string kind, string @namespace, string name, CatalogService service, CatalogIndex index, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var record = index.Get(EntityRef.Key(kind, @namespace, name))
            ?? throw CatalogProblems.NotFound($"No entity named {EntityRef.Key(kind, @namespace, name)} exists.");
        return Entity(record);
    }

    public static async Task<IResult> ByUidAsync(string uid, CatalogService service, CatalogIndex index, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var record = index.GetByUid(uid) ?? throw CatalogProblems.NotFound($"No entity with uid {uid} exists.");
        return Entity(record);
    }

    /// <summary>Backstage answers 204 whether or not the entity existed; a live location brings it back on its next refresh.</summary>
    public static async Task<IResult> DeleteByUidAsync(string uid, CatalogService service, CatalogIndex index, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        if (index.GetByUid(uid) is { } record)
        {
            await service.DeleteEntityAsync(record, ct).ConfigureAwait(false);
        }

        return Results.NoContent();
    }

    /// <summary>The entity and the Location entities that led to it, each with its parent's ref (<c>{rootEntityRef, items}</c>).</summary>
    public static async Task<IResult> AncestryAsync(string kind, string @namespace, string name, CatalogService service, CatalogIndex index, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var rootRef = EntityRef.Key(kind, @namespace, name);
        var current = index.Get(rootRef) ?? throw CatalogProblems.NotFound($"No entity named {rootRef} exists.");
        var items = new List<EntityRecord>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (current is not null && seen.Add(current.RefKey))
        {
            items.Add(current);
            current = current.Stored.ParentRef is { } parent ? index.Get(parent) : null;
        }

        return EntityJson.Result(w =>
        {
            w.WriteStartObject();
            w.WriteString("rootEntityRef", rootRef);
            w.WriteStartArray("items");
            foreach (var item in items)
            {
                w.WriteStartObject();
                w.WritePropertyName("entity");
                EntityJson.Write(w, item, null);
                w.WriteStartArray("parentEntityRefs");
                if (item.Stored.ParentRef is { } parent && index.Get(parent) is not null)
                {
                    w.WriteStringValue(parent);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// <c>{entityRefs, fields?, query?}</c> to <c>{items}</c>: same length and order, null where no entity has the ref and,
    /// when the predicate <c>query</c> is given, null where the entity does not match it (Backstage's filter semantics).
    /// </summary>
    public static async Task<IResult> ByRefsAsync(HttpRequest request, CatalogService service, CatalogIndex index, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var body = await CatalogRequests.ReadObjectAsync(request, ct).ConfigureAwait(false);
        var refs = CatalogRequests.StringList(body["entityRefs"], "entityRefs")
            ?? throw CatalogProblems.Input("entityRefs", "is required: a list of entity refs.");
        var keys = refs.Select((r, i) => CatalogRequests.ParseRef(r, $"entityRefs[{i}]")).ToList();
        var fields = CatalogRequests.StringList(body["fields"], "fields");
        var predicate = body["query"] is { } query ? QueryPredicate.Parse(query) : null;
        var records = index.GetMany(keys);
        if (predicate is not null && records.Any(r => r is not null))
        {
            var uids = records.OfType<EntityRecord>().Select(r => r.Uid.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
            var selected = new QueryPredicate.AllOf([predicate, new QueryPredicate.In("metadata.uid", uids)]);
            var matching = index.Query(new EntityQuery([], [], Predicate: selected), uids.Count).Items
                .Select(r => r.Uid).ToHashSet(StringComparer.Ordinal);
            records = records.Select(r => r is not null && matching.Contains(r.Uid) ? r : null).ToArray();
        }

        return EntityStream.Result(async s =>
        {
            var w = s.Json;
            w.WriteStartObject();
            w.WriteStartArray("items");
            foreach (var record in records)
            {
                EntityJson.Write(w, record, fields);
                await s.FlushIfFullAsync().ConfigureAwait(false);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static IResult Entity(EntityRecord record) => Results.Bytes(EntityJson.Bytes(record), "application/json");
}
