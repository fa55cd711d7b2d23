using System.Text.Json;
using IdpServerless.Functions.Catalog.Model;

namespace IdpServerless.Functions.Catalog.Index;

/// <summary>
/// An entity as stored: its body as ingested (with our uid, etag and location annotations, without relations) and the
/// bookkeeping the catalog keeps beside it. The unit of storage and of the change feed.
/// </summary>
public sealed record StoredEntity(
    string RefKey,
    string Uid,
    string Etag,
    string? LocationId,
    string? ParentRef,
    DateTimeOffset RefreshedAt,
    string Hash,
    byte[] Body,
    string? TableETag = null);

/// <summary>
/// An entity in the in-memory index: the stored entity plus what queries need precomputed (filter pairs, search
/// fields, relations as JSON). Immutable except for the relation parts, which the index replaces under its write lock.
/// </summary>
public sealed class EntityRecord
{
    private const int MaxSearchKeyLength = 200;
    private const int MaxSearchValueLength = 200;
    private static readonly HashSet<string> SpecialKeys = ["attachments", "relations", "status", "metadata.name", "metadata.namespace", "metadata.uid", "metadata.etag"];

    public EntityRecord(StoredEntity stored)
    {
        Stored = stored;
        using var doc = JsonDocument.Parse(stored.Body);
        var root = doc.RootElement;
        Kind = Str(root, "kind") ?? string.Empty;
        var metadata = root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        Name = Str(metadata, "name") ?? string.Empty;
        SearchName = Name.ToLowerInvariant();
        Namespace = Str(metadata, "namespace") ?? EntityRef.DefaultNamespace;
        Title = Str(metadata, "title");
        Description = Str(metadata, "description");
        var spec = root.TryGetProperty("spec", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
        SpecType = Str(spec, "type");
        Owner = Str(spec, "owner");
        var profile = spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("profile", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        DisplayName = Str(profile, "displayName");
        Email = Str(profile, "email");
        Tags = metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Array
            ? t.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToArray()
            : [];
        Annotations = metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object
            ? a.EnumerateObject().Where(x => x.Value.ValueKind == JsonValueKind.String).ToDictionary(x => x.Name, x => x.Value.GetString()!, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        Pairs = Flatten(root, Name, metadata, Stored.Uid);
        Declared = EntityRelations.Declared(Kind, Namespace, field => RefsOf(spec, field)).ToArray();
    }

    public StoredEntity Stored { get; }

    /// <summary>The name lowercased once, for the search's name bonus (ordinal comparisons on every query).</summary>
    public string SearchName { get; }

    /// <summary>Position in the index's slot table; assigned by the index under its write lock.</summary>
    public int Slot { get; internal set; } = -1;

    public string RefKey => Stored.RefKey;

    public string Uid => Stored.Uid;

    public string Kind { get; }

    public string Namespace { get; }

    public string Name { get; }

    public string? Title { get; }

    public string? Description { get; }

    public string? SpecType { get; }

    public string? Owner { get; }

    public string? DisplayName { get; }

    public string? Email { get; }

    public string[] Tags { get; }

    public IReadOnlyDictionary<string, string> Annotations { get; }

    public bool IsOrphan => Annotations.TryGetValue(CatalogAnnotations.Orphan, out var v) && v == "true";

    /// <summary>Flattened (lowercased key, lowercased value or null) pairs, as Backstage's search table holds them, without relations.</summary>
    public (string Key, string? Value, string? Original)[] Pairs { get; }

    /// <summary>The relations the entity's own spec declares.</summary>
    public DeclaredRelation[] Declared { get; }

    /// <summary>Every relation of the entity (declared and the reverse of others'), deduplicated and ordered.</summary>
    public EntityRelation[] Relations { get; set; } = [];

    /// <summary><see cref="Relations"/> as a UTF-8 JSON array, ready to write.</summary>
    public byte[] RelationsJson { get; set; } = "[]"u8.ToArray();

    /// <summary>The first value of a flattened key (for ordering), or null.</summary>
    public string? FirstValue(string key)
    {
        foreach (var (k, v, _) in Pairs)
        {
            if (k == key)
            {
                return v;
            }
        }

        return null;
    }

    private static IEnumerable<string?> RefsOf(JsonElement spec, string field)
    {
        if (spec.ValueKind != JsonValueKind.Object || !spec.TryGetProperty(field, out var value))
        {
            return [];
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => [value.GetString()],
            JsonValueKind.Array => value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : null).ToArray(),
            _ => [],
        };
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    // Flatten's working sets, one per thread and reused: a bulk load (a new instance's first) flattens tens of thousands
    // of entities in parallel, and a fresh list and set per entity were a tenth of what that load allocated.
    [ThreadStatic]
    private static List<(string, string?, string?)>? t_output;

    [ThreadStatic]
    private static HashSet<(string, string?)>? t_seen;

    private static (string, string?, string?)[] Flatten(JsonElement root, string name, JsonElement metadata, string uid)
    {
        var output = t_output is { Capacity: <= 4096 } o ? o : t_output = new List<(string, string?, string?)>(64);
        var seen = t_seen is { Count: <= 4096 } h ? h : t_seen = new HashSet<(string, string?)>();
        output.Clear();
        seen.Clear();
        void Emit(string key, string? original)
        {
            var k = key.ToLowerInvariant();
            if (k.Length > MaxSearchKeyLength)
            {
                return;
            }

            var v = original?.ToLowerInvariant();
            if (v is { Length: > MaxSearchValueLength })
            {
                v = null;
                original = null;
            }

            if (seen.Add((k, v)))
            {
                output.Add((k, v, original));
            }
        }

        void Visit(string path, JsonElement e)
        {
            if (SpecialKeys.Contains(path))
            {
                return;
            }

            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        Visit(path.Length == 0 ? p.Name : path + "." + p.Name, p.Value);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray())
                    {
                        Visit(path, item);
                        if (item.ValueKind == JsonValueKind.String)
                        {
                            Emit(path + "." + item.GetString(), "true");
                        }
                    }

                    break;
                case JsonValueKind.String:
                    Emit(path, e.GetString());
                    break;
                case JsonValueKind.Number:
                    Emit(path, e.GetRawText());
                    break;
                case JsonValueKind.True:
                    Emit(path, "true");
                    break;
                case JsonValueKind.False:
                    Emit(path, "false");
                    break;
                default:
                    Emit(path, null);
                    break;
            }
        }

        Visit(string.Empty, root);
        Emit("metadata.name", name);
        var ns = Str(metadata, "namespace");
        Emit("metadata.namespace", ns ?? EntityRef.DefaultNamespace);
        Emit("metadata.uid", uid);
        return output.ToArray();
    }
}

/// <summary>Annotations the catalog itself sets.</summary>
public static class CatalogAnnotations
{
    public const string ManagedByLocation = "backstage.io/managed-by-location";
    public const string ManagedByOriginLocation = "backstage.io/managed-by-origin-location";
    public const string Orphan = "backstage.io/orphan";
    public const string SourceLocation = "backstage.io/source-location";
}
