using System.Buffers;
using System.Text.Json;
using IdpServerless.Functions.Catalog.Model;

namespace IdpServerless.Functions.Catalog.Index;

/// <summary>Relations: each entity's declared ones plus the reverse of others', kept with their postings and JSON.</summary>
public sealed partial class CatalogIndex
{
    /// <summary>
    /// Recomputes the relations of every affected entity. The new relation lists (and their JSON) only read the index,
    /// so for a bulk change they are computed in parallel (a new instance's load recomputes all 50,000); the postings
    /// they change are then updated on this thread. Called under the write lock.
    /// </summary>
    private void RefreshRelations(HashSet<string> affected)
    {
        var records = new List<EntityRecord>(affected.Count);
        foreach (var key in affected)
        {
            if (_byRef.TryGetValue(key, out var record))
            {
                records.Add(record);
            }
        }

        var computed = new EntityRelation[]?[records.Count];
        var json = new byte[]?[records.Count];
        if (records.Count >= ParallelFrom)
        {
            Parallel.For(0, records.Count, i => (computed[i], json[i]) = ComputeRelations(records[i]));
        }
        else
        {
            for (var i = 0; i < records.Count; i++)
            {
                (computed[i], json[i]) = ComputeRelations(records[i]);
            }
        }

        for (var i = 0; i < records.Count; i++)
        {
            if (computed[i] is { } next)
            {
                ApplyRelations(records[i], next, json[i]!);
            }
        }
    }

    /// <summary>The entity's relations as they should be (declared plus incoming, ordered) and their JSON; nulls when unchanged. Reads only.</summary>
    private (EntityRelation[]? Next, byte[]? Json) ComputeRelations(EntityRecord record)
    {
        var set = new HashSet<EntityRelation>();
        foreach (var d in record.Declared)
        {
            set.Add(new EntityRelation(d.Type, d.TargetRef));
        }

        if (_incoming.TryGetValue(record.RefKey, out var incoming))
        {
            foreach (var (type, source) in incoming)
            {
                set.Add(new EntityRelation(type, source));
            }
        }

        var next = set.OrderBy(r => r.Type, StringComparer.Ordinal).ThenBy(r => r.TargetRef, StringComparer.Ordinal).ToArray();
        return record.Relations.AsSpan().SequenceEqual(next) ? (null, null) : (next, SerializeRelations(next));
    }

    /// <summary>Moves the entity's relation postings from its old relations to <paramref name="next"/>.</summary>
    private void ApplyRelations(EntityRecord record, EntityRelation[] next, byte[] json)
    {
        var old = record.Relations;
        var nextSet = next.ToHashSet();
        foreach (var r in old)
        {
            if (!nextSet.Contains(r))
            {
                RemovePair(record.Slot, RelationKey(r.Type), r.TargetRef);
            }
        }

        var oldSet = old.ToHashSet();
        foreach (var r in next)
        {
            if (!oldSet.Contains(r))
            {
                AddPair(record.Slot, RelationKey(r.Type), r.TargetRef, r.TargetRef);
            }
        }

        foreach (var r in next)
        {
            // A removed pair may have shared its key with a kept one (two ownedBy targets): the key still exists.
            _keys[RelationKey(r.Type)].Exists.Add(record.Slot);
        }

        record.Relations = next;
        record.RelationsJson = json;
    }

    private static string RelationKey(string type) => "relations." + type.ToLowerInvariant();

    private static byte[] SerializeRelations(EntityRelation[] relations)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + relations.Length * 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var r in relations)
            {
                writer.WriteStartObject();
                writer.WriteString("type", r.Type);
                writer.WriteString("targetRef", r.TargetRef);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
