using System.Text.Json;
using System.Text.Json.Nodes;

namespace IdpServerless.Functions.Catalog.Model;

/// <summary>One thing wrong with one entity: the field (a dotted path, e.g. <c>spec.owner</c>) and what is wrong.</summary>
public sealed record EntityProblem(string Field, string Message);

/// <summary>
/// Checks an entity the way Backstage's processing does: the envelope (no foreign root fields, apiVersion, kind,
/// metadata), the field formats (FieldFormatEntityPolicy), the kind's schema (known kind and apiVersion, required spec
/// fields and their types) and that every relation ref parses. Returns every problem, not just the first.
/// </summary>
public static class EntityValidator
{
    private static readonly HashSet<string> RootFields = ["apiVersion", "kind", "metadata", "spec", "relations", "status"];

    public static List<EntityProblem> Validate(JsonNode? node)
    {
        var problems = new List<EntityProblem>();
        if (node is not JsonObject entity)
        {
            problems.Add(new("", "an entity must be an object with apiVersion, kind, metadata and spec"));
            return problems;
        }

        foreach (var (key, _) in entity)
        {
            if (!RootFields.Contains(key))
            {
                problems.Add(new(key, $"unknown root field \"{key}\"; an entity has only apiVersion, kind, metadata, spec, relations and status"));
            }
        }

        var apiVersion = RequireString(entity, "apiVersion", "apiVersion", problems);
        if (apiVersion is not null && !EntityNames.IsValidApiVersion(apiVersion))
        {
            problems.Add(new("apiVersion", $"\"{apiVersion}\" is not valid; expected {EntityNames.PrefixSuffixExpectation}"));
            apiVersion = null;
        }

        var kind = RequireString(entity, "kind", "kind", problems);
        if (kind is not null && !EntityNames.IsValidKind(kind))
        {
            problems.Add(new("kind", $"\"{kind}\" is not valid; expected {EntityNames.KindExpectation}"));
            kind = null;
        }

        var ns = ValidateMetadata(entity["metadata"], problems);
        if (kind is null)
        {
            return problems;
        }

        var definition = EntityKinds.Find(kind);
        if (definition is null)
        {
            var hint = EntityKinds.FindIgnoreCase(kind) is { } near ? $" (did you mean \"{near.Kind}\"? kinds are case-sensitive)" : string.Empty;
            problems.Add(new("kind", $"unknown kind \"{kind}\"{hint}; known kinds are {string.Join(", ", EntityKinds.All.Select(k => k.Kind))}"));
            return problems;
        }

        if (apiVersion is not null && !definition.ApiVersions.Contains(apiVersion, StringComparer.Ordinal))
        {
            problems.Add(new("apiVersion", $"\"{apiVersion}\" is not an apiVersion of kind {kind}; expected one of {string.Join(", ", definition.ApiVersions)}"));
        }

        ValidateSpec(definition, entity["spec"], ns ?? EntityRef.DefaultNamespace, problems);
        return problems;
    }

    /// <summary>Validates metadata; returns the namespace when it is valid.</summary>
    private static string? ValidateMetadata(JsonNode? node, List<EntityProblem> problems)
    {
        if (node is not JsonObject metadata)
        {
            problems.Add(new("metadata", node is null ? "metadata is required" : "metadata must be an object"));
            return null;
        }

        var name = RequireString(metadata, "name", "metadata.name", problems);
        if (name is not null && !EntityNames.IsValidObjectName(name))
        {
            problems.Add(new("metadata.name", $"\"{name}\" is not valid; expected {EntityNames.NameExpectation}"));
        }

        string? ns = null;
        if (metadata["namespace"] is { } nsNode)
        {
            ns = AsString(nsNode);
            if (ns is null || !EntityNames.IsValidNamespace(ns))
            {
                problems.Add(new("metadata.namespace", $"{Show(nsNode)} is not valid; expected {EntityNames.NamespaceExpectation}"));
                ns = null;
            }
        }

        OptionalString(metadata, "title", "metadata.title", problems);
        OptionalString(metadata, "description", "metadata.description", problems);
        ValidateMap(metadata["labels"], "metadata.labels", EntityNames.IsValidLabelKey, v => EntityNames.IsValidLabelValue(v), $"expected {EntityNames.NameExpectation} or an empty string", problems);
        ValidateMap(metadata["annotations"], "metadata.annotations", EntityNames.IsValidAnnotationKey, _ => true, "expected a string", problems);

        if (metadata["tags"] is { } tagsNode)
        {
            if (tagsNode is not JsonArray tags)
            {
                problems.Add(new("metadata.tags", "tags must be a list of strings"));
            }
            else
            {
                for (var i = 0; i < tags.Count; i++)
                {
                    var tag = AsString(tags[i]);
                    if (tag is null || !EntityNames.IsValidTag(tag))
                    {
                        problems.Add(new($"metadata.tags[{i}]", $"{Show(tags[i])} is not valid; expected {EntityNames.NamespaceExpectation}"));
                    }
                }
            }
        }

        if (metadata["links"] is { } linksNode)
        {
            ValidateLinks(linksNode, problems);
        }

        return ns ?? (metadata["namespace"] is null ? EntityRef.DefaultNamespace : null);
    }

    private static void ValidateLinks(JsonNode node, List<EntityProblem> problems)
    {
        if (node is not JsonArray links)
        {
            problems.Add(new("metadata.links", "links must be a list of objects with a url"));
            return;
        }

        for (var i = 0; i < links.Count; i++)
        {
            var path = $"metadata.links[{i}]";
            if (links[i] is not JsonObject link)
            {
                problems.Add(new(path, "a link must be an object with a url"));
                continue;
            }

            var url = AsString(link["url"]);
            if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out _))
            {
                problems.Add(new(path + ".url", link["url"] is null ? "url is required" : $"{Show(link["url"])} is not a valid url"));
            }

            if (link["title"] is { } title && string.IsNullOrWhiteSpace(AsString(title)))
            {
                problems.Add(new(path + ".title", "title must be a non-empty string"));
            }

            if (link["icon"] is { } icon && !EntityNames.IsValidObjectName(AsString(icon)))
            {
                problems.Add(new(path + ".icon", $"{Show(icon)} is not valid; expected {EntityNames.NameExpectation}"));
            }
        }
    }

    private static void ValidateSpec(KindDefinition definition, JsonNode? node, string ns, List<EntityProblem> problems)
    {
        if (node is not JsonObject spec)
        {
            problems.Add(new("spec", node is null ? $"spec is required for kind {definition.Kind}" : "spec must be an object"));
            return;
        }

        var shapeProblems = problems.Count;
        foreach (var field in definition.Fields)
        {
            var path = "spec." + field.Name;
            var value = spec[field.Name];
            if (value is null)
            {
                if (field.Required)
                {
                    problems.Add(new(path, $"spec.{field.Name} is required for kind {definition.Kind}"));
                }

                continue;
            }

            CheckShape(field, value, path, problems);
        }

        if (definition.Kind == "Template" && spec["steps"] is JsonArray steps)
        {
            for (var i = 0; i < steps.Count; i++)
            {
                if (steps[i] is not JsonObject step || AsString(step["action"]) is not { Length: > 0 })
                {
                    problems.Add(new($"spec.steps[{i}]", "a step must be an object with an action"));
                }
            }
        }

        if (definition.Kind == Insights.Scorecards.ScorecardParser.Kind && problems.Count == shapeProblems)
        {
            problems.AddRange(Insights.Scorecards.ScorecardParser.Validate(spec));
        }

        foreach (var relation in definition.Relations)
        {
            var value = spec[relation.Field];
            if (value is null)
            {
                continue;
            }

            foreach (var (target, path) in RelationTargets(value, "spec." + relation.Field))
            {
                if (target is null)
                {
                    continue;
                }

                try
                {
                    EntityRef.Parse(target, relation.DefaultKind, ns);
                }
                catch (FormatException e)
                {
                    problems.Add(new(path, e.Message));
                }
            }
        }
    }

    /// <summary>The string refs of a relation field (a string or a list), each with its path.</summary>
    public static IEnumerable<(string? Ref, string Path)> RelationTargets(JsonNode value, string path)
    {
        if (value is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                yield return (AsString(array[i]), $"{path}[{i}]");
            }
        }
        else
        {
            yield return (AsString(value), path);
        }
    }

    private static void CheckShape(SpecField field, JsonNode value, string path, List<EntityProblem> problems)
    {
        switch (field.Shape)
        {
            case SpecFieldShape.String when AsString(value) is not { Length: > 0 }:
                problems.Add(new(path, $"{path} must be a non-empty string, found {Show(value)}"));
                break;
            case SpecFieldShape.StringArray when value is not JsonArray:
                problems.Add(new(path, $"{path} must be a list of entity references, found {Show(value)}"));
                break;
            case SpecFieldShape.StringArray:
                var array = (JsonArray)value;
                for (var i = 0; i < array.Count; i++)
                {
                    if (AsString(array[i]) is not { Length: > 0 })
                    {
                        problems.Add(new($"{path}[{i}]", $"{path}[{i}] must be a non-empty string, found {Show(array[i])}"));
                    }
                }

                break;
            case SpecFieldShape.Object when value is not JsonObject:
                problems.Add(new(path, $"{path} must be an object"));
                break;
            case SpecFieldShape.Array when value is not JsonArray:
                problems.Add(new(path, $"{path} must be a list"));
                break;
            case SpecFieldShape.ObjectOrArray when value is not (JsonObject or JsonArray):
                problems.Add(new(path, $"{path} must be an object or a list of objects"));
                break;
        }
    }

    private static void ValidateMap(JsonNode? node, string path, Func<string, bool> validKey, Func<string, bool> validValue, string valueExpectation, List<EntityProblem> problems)
    {
        if (node is null)
        {
            return;
        }

        if (node is not JsonObject map)
        {
            problems.Add(new(path, $"{path} must be a map of strings"));
            return;
        }

        foreach (var (key, value) in map)
        {
            if (!validKey(key))
            {
                problems.Add(new($"{path}.{key}", $"key \"{key}\" is not valid; expected {EntityNames.PrefixSuffixExpectation}"));
            }

            var text = AsString(value);
            if (text is null || !validValue(text))
            {
                problems.Add(new($"{path}.{key}", $"{Show(value)} is not valid; {valueExpectation}"));
            }
        }
    }

    private static string? RequireString(JsonObject parent, string key, string path, List<EntityProblem> problems)
    {
        var node = parent[key];
        if (node is null)
        {
            problems.Add(new(path, $"{path} is required"));
            return null;
        }

        var text = AsString(node);
        if (text is null)
        {
            problems.Add(new(path, $"{path} must be a string, found {Show(node)}"));
        }

        return text;
    }

    private static void OptionalString(JsonObject parent, string key, string path, List<EntityProblem> problems)
    {
        if (parent[key] is { } node && AsString(node) is null)
        {
            problems.Add(new(path, $"{path} must be a string, found {Show(node)}"));
        }
    }

    /// <summary>The node's string value, or null when it is not a JSON string.</summary>
    public static string? AsString(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static string Show(JsonNode? node)
    {
        if (node is null)
        {
            return "null";
        }

        var text = node.ToJsonString();
        return text.Length > 80 ? text[..77] + "..." : text;
    }
}
