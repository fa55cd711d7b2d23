using System.Text.Json.Nodes;

namespace IdpServerless.Functions.Catalog.Model;

/// <summary>
/// A relation an entity's own spec declares: <see cref="Type"/> from the entity to <see cref="TargetRef"/>, and
/// <see cref="ReverseType"/> from the target back to the entity (Backstage emits both).
/// </summary>
public readonly record struct DeclaredRelation(string Type, string TargetRef, string ReverseType);

/// <summary>A relation as Backstage returns it on an entity: <c>{type, targetRef}</c>.</summary>
public readonly record struct EntityRelation(string Type, string TargetRef);

/// <summary>Computes the relations an entity declares, as Backstage's BuiltinKindsEntityProcessor does.</summary>
public static class EntityRelations
{
    /// <summary>
    /// The relations <paramref name="entity"/> (already validated) declares. Refs that omit kind or namespace get the
    /// field's default kind and the entity's own namespace; targets are canonical lowercased refs.
    /// </summary>
    public static List<DeclaredRelation> Declared(JsonObject entity)
    {
        var kind = EntityValidator.AsString(entity["kind"]);
        var ns = EntityValidator.AsString(entity["metadata"]?["namespace"]) ?? EntityRef.DefaultNamespace;
        var spec = entity["spec"] as JsonObject;
        return Declared(kind, ns, field => spec?[field] is { } value ? EntityValidator.RelationTargets(value, field).Select(t => t.Ref) : []);
    }

    /// <summary>The same, reading spec fields through <paramref name="refsOf"/> (so callers holding a JsonElement need no JsonNode).</summary>
    public static List<DeclaredRelation> Declared(string? kind, string ns, Func<string, IEnumerable<string?>> refsOf)
    {
        var result = new List<DeclaredRelation>();
        if (kind is null || EntityKinds.Find(kind) is not { } definition)
        {
            return result;
        }

        foreach (var field in definition.Relations)
        {
            foreach (var target in refsOf(field.Field))
            {
                if (EntityRef.TryParse(target, field.DefaultKind, ns, out var parsed))
                {
                    var relation = new DeclaredRelation(field.Outgoing, parsed.ToString(), field.Incoming);
                    if (!result.Contains(relation))
                    {
                        result.Add(relation);
                    }
                }
            }
        }

        return result;
    }
}
