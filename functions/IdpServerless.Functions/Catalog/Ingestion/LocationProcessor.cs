using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Catalog.Ingestion;

/// <summary>An entity read from a location, validated, annotated with where it came from.</summary>
/// <param name="Entity">The entity as written, plus the location annotations (no uid, etag or relations).</param>
/// <param name="RefKey">Its canonical ref.</param>
/// <param name="Source">The file it was read from.</param>
/// <param name="Line">1-based line of its document (0 for JSON).</param>
/// <param name="ParentRef">The Location entity whose target led to its file, or null for the registered file itself.</param>
public sealed record ProcessedEntity(JsonObject Entity, string RefKey, LocationSpec Source, int Line, string? ParentRef);

/// <summary>Something wrong in a location: where (file and line), which entity, which field, what.</summary>
public sealed record ProcessingProblem(string Source, int? Line, string? EntityRef, string Field, string Message, int Status = 400)
{
    public override string ToString()
    {
        var where = Line is > 0 ? $"{Source} line {Line}" : Source;
        var what = EntityRef is null ? where : $"{EntityRef} ({where})";
        return Field.Length == 0 ? $"{what}: {Message}" : $"{what}: {Field}: {Message}";
    }
}

/// <summary>Everything one pass over a registered location produced.</summary>
public sealed class ProcessingResult(LocationSpec root)
{
    public LocationSpec Root { get; } = root;

    public List<ProcessedEntity> Entities { get; } = [];

    public List<ProcessingProblem> Problems { get; } = [];

    /// <summary>Files read and parsed without error (their entities can be trusted to be complete).</summary>
    public HashSet<string> CleanSources { get; } = new(StringComparer.Ordinal);

    /// <summary>True when some file could not be read or had errors: entities missing from it are not orphans yet.</summary>
    public bool HasFailures => Problems.Count > 0;
}

/// <summary>
/// Reads a registered location and everything its Location entities point at (depth- and count-limited, cycles
/// ignored), parses YAML or JSON, resolves <c>$text</c>/<c>$json</c>/<c>$yaml</c> placeholders, validates every entity
/// and finds duplicates. It never writes: the caller decides what to store.
/// </summary>
public sealed class LocationProcessor(LocationReader reader, IOptions<CatalogOptions> options)
{
    private const int MaxPlaceholdersPerEntity = 32;
    private readonly CatalogOptions _options = options.Value;

    public async Task<ProcessingResult> ProcessAsync(LocationSpec root, CancellationToken ct)
    {
        var result = new ProcessingResult(root);
        var seen = new Dictionary<string, ProcessedEntity>(StringComparer.Ordinal);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<(LocationSpec Spec, string? Parent, int Depth, bool Optional)>();
        queue.Enqueue((root, null, 0, false));
        while (queue.Count > 0)
        {
            var (pending, parent, depth, optional) = queue.Dequeue();
            IReadOnlyList<LocationSpec> files;
            try
            {
                files = await reader.ExpandAsync(pending, ct).ConfigureAwait(false);
            }
            catch (LocationReadException e)
            {
                result.Problems.Add(new(pending.ToString(), null, parent, string.Empty, e.Message, e.Status));
                continue;
            }

            foreach (var spec in files)
            {
                if (!visited.Add(spec.ToString()))
                {
                    continue;
                }

                var documents = await ReadDocumentsAsync(spec, parent, optional, result, ct).ConfigureAwait(false);
                if (documents is null)
                {
                    continue;
                }

                var clean = true;
                foreach (var document in documents)
                {
                    if (document.Root is null)
                    {
                        continue;
                    }

                    var entity = await ProcessDocumentAsync(spec, document, parent, result, seen, ct).ConfigureAwait(false);
                    if (entity is null)
                    {
                        clean = false;
                        continue;
                    }

                    if (seen.Count > _options.MaxEntitiesPerLocation)
                    {
                        result.Problems.Add(new(spec.ToString(), document.Line, null, string.Empty, $"the location produces more than {_options.MaxEntitiesPerLocation} entities"));
                        return result;
                    }

                    if (EntityValidator.AsString(entity.Entity["kind"]) == "Location")
                    {
                        EnqueueTargets(entity, spec, depth, queue, result);
                    }
                }

                if (clean)
                {
                    result.CleanSources.Add(spec.ToString());
                }
            }
        }

        return result;
    }

    private async Task<List<ParsedDocument>?> ReadDocumentsAsync(LocationSpec spec, string? parent, bool optional, ProcessingResult result, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            bytes = await reader.ReadAsync(spec, ct).ConfigureAwait(false);
        }
        catch (LocationReadException e)
        {
            if (!(optional && e.Status == 400 && e.Message.Contains("does not exist", StringComparison.Ordinal)))
            {
                result.Problems.Add(new(spec.ToString(), null, parent, string.Empty, e.Message, e.Status));
            }

            return null;
        }

        try
        {
            return Parse(spec.Target, bytes);
        }
        catch (CatalogParseException e)
        {
            result.Problems.Add(new(spec.ToString(), e.Line, null, string.Empty, e.Message));
            return null;
        }
    }

    /// <summary>Parses a file's documents: JSON when the name ends in .json or the text starts with '{' or '[', else YAML.</summary>
    public List<ParsedDocument> Parse(string name, byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF');
        var trimmed = text.AsSpan().TrimStart();
        if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || (trimmed.Length > 0 && trimmed[0] is '{' or '['))
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = _options.MaxYamlDepth });
            }
            catch (JsonException e)
            {
                throw new CatalogParseException($"malformed JSON: {e.Message}", (int?)(e.LineNumber + 1));
            }

            var empty = new Dictionary<string, int>();
            return node is JsonArray array
                ? array.Select(n => new ParsedDocument(n?.DeepClone(), 0, empty)).ToList()
                : [new ParsedDocument(node, 0, empty)];
        }

        return YamlDocumentReader.Read(text, new YamlLimits(_options.MaxYamlDepth, _options.MaxYamlAliasNodes));
    }

    private async Task<ProcessedEntity?> ProcessDocumentAsync(LocationSpec spec, ParsedDocument document, string? parent, ProcessingResult result, Dictionary<string, ProcessedEntity> seen, CancellationToken ct)
    {
        if (document.Root is null)
        {
            return null;
        }

        var source = spec.ToString();
        if (document.Root is not JsonObject entity)
        {
            result.Problems.Add(new(source, document.Line, null, string.Empty, "a catalog document must be an entity (an object with apiVersion, kind, metadata and spec)"));
            return null;
        }

        // uid, etag and relations are the catalog's to assign and compute; a file may carry stale copies of them.
        entity.Remove("relations");
        entity.Remove("status");
        if (entity["metadata"] is JsonObject meta)
        {
            meta.Remove("uid");
            meta.Remove("etag");
            meta.Remove("generation");
        }

        var name = Describe(entity);
        var placeholderProblems = new List<ProcessingProblem>();
        await ResolvePlaceholdersAsync(entity, string.Empty, spec, document, name, placeholderProblems, ct).ConfigureAwait(false);
        var problems = EntityValidator.Validate(entity);
        if (placeholderProblems.Count > 0 || problems.Count > 0)
        {
            result.Problems.AddRange(placeholderProblems);
            result.Problems.AddRange(problems.Select(p => new ProcessingProblem(source, document.LineOf(p.Field), name, p.Field, p.Message)));
            return null;
        }

        var metadata = (JsonObject)entity["metadata"]!;
        var kind = EntityValidator.AsString(entity["kind"])!;
        var refKey = EntityRef.Key(kind, EntityValidator.AsString(metadata["namespace"]) ?? EntityRef.DefaultNamespace, EntityValidator.AsString(metadata["name"])!);
        if (seen.TryGetValue(refKey, out var first))
        {
            result.Problems.Add(new(source, document.Line, refKey, "metadata.name",
                $"duplicate entity: {refKey} is also defined at {first.Source}{(first.Line > 0 ? " line " + first.Line : string.Empty)}", 409));
            return null;
        }

        if (metadata["annotations"] is not JsonObject annotations)
        {
            metadata["annotations"] = annotations = [];
        }

        annotations[CatalogAnnotations.ManagedByLocation] = source;
        annotations[CatalogAnnotations.ManagedByOriginLocation] = result.Root.ToString();
        if (spec.Type == LocationSpec.Url)
        {
            annotations[CatalogAnnotations.SourceLocation] = "url:" + new Uri(new Uri(spec.Target), "./").AbsoluteUri;
        }

        var size = Encoding.UTF8.GetByteCount(entity.ToJsonString());
        if (size > _options.MaxEntityBytes)
        {
            result.Problems.Add(new(source, document.Line, refKey, string.Empty, $"the entity is {size / 1024} KiB; the catalog stores entities of at most {_options.MaxEntityBytes / 1024} KiB", 413));
            return null;
        }

        var processed = new ProcessedEntity(entity, refKey, spec, document.Line, parent);
        seen[refKey] = processed;
        result.Entities.Add(processed);
        return processed;
    }

    private void EnqueueTargets(ProcessedEntity location, LocationSpec spec, int depth, Queue<(LocationSpec, string?, int, bool)> queue, ProcessingResult result)
    {
        var locationSpec = (JsonObject)location.Entity["spec"]!;
        var type = EntityValidator.AsString(locationSpec["type"]);
        var optional = EntityValidator.AsString(locationSpec["presence"]) == "optional";
        var targets = new List<string>();
        if (EntityValidator.AsString(locationSpec["target"]) is { } single)
        {
            targets.Add(single);
        }

        if (locationSpec["targets"] is JsonArray many)
        {
            targets.AddRange(many.Select(EntityValidator.AsString).OfType<string>());
        }

        foreach (var target in targets)
        {
            if (depth + 1 > _options.MaxLocationDepth)
            {
                result.Problems.Add(new(spec.ToString(), location.Line, location.RefKey, "spec.targets", $"Location entities nest deeper than {_options.MaxLocationDepth} levels"));
                return;
            }

            try
            {
                var child = reader.Resolve(spec, type, target);
                reader.Validate(child);
                queue.Enqueue((child, location.RefKey, depth + 1, optional));
            }
            catch (LocationReadException e)
            {
                result.Problems.Add(new(spec.ToString(), location.Line, location.RefKey, "spec.targets", e.Message));
            }
        }
    }

    /// <summary>Replaces <c>{$text: path}</c>, <c>{$json: path}</c> and <c>{$yaml: path}</c> with the referenced file's content.</summary>
    private async Task ResolvePlaceholdersAsync(JsonNode node, string path, LocationSpec spec, ParsedDocument document, string? name, List<ProcessingProblem> problems, CancellationToken ct)
    {
        var budget = MaxPlaceholdersPerEntity;
        var pending = new Stack<(JsonNode Node, string Path)>();
        pending.Push((node, path));
        while (pending.Count > 0)
        {
            var (current, at) = pending.Pop();
            var children = current switch
            {
                JsonObject o => o.Select(p => (Key: p.Key, Node: p.Value, Path: at.Length == 0 ? p.Key : at + "." + p.Key)).ToList(),
                JsonArray a => a.Select((n, i) => (Key: i.ToString(System.Globalization.CultureInfo.InvariantCulture), Node: n, Path: $"{at}[{i}]")).ToList(),
                _ => [],
            };
            foreach (var (key, child, childPath) in children)
            {
                if (child is JsonObject { Count: 1 } candidate && candidate.First() is var (op, arg) && op is "$text" or "$json" or "$yaml")
                {
                    if (--budget < 0 || EntityValidator.AsString(arg) is not { Length: > 0 } target)
                    {
                        problems.Add(new(spec.ToString(), document.LineOf(childPath), name, childPath, budget < 0 ? "too many placeholders in one entity" : $"{op} needs a path or URL"));
                        continue;
                    }

                    try
                    {
                        var targetSpec = reader.Resolve(spec, null, target);
                        reader.Validate(targetSpec);
                        var bytes = await reader.ReadAsync(targetSpec, ct).ConfigureAwait(false);
                        var value = op == "$text"
                            ? JsonValue.Create(Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF'))
                            : Parse(op == "$json" ? "x.json" : "x.yaml", bytes).FirstOrDefault()?.Root?.DeepClone();
                        Replace(current, key, value);
                    }
                    catch (Exception e) when (e is LocationReadException or CatalogParseException)
                    {
                        problems.Add(new(spec.ToString(), document.LineOf(childPath), name, childPath, $"{op} {target}: {e.Message}",
                            e is LocationReadException l ? l.Status : 400));
                    }
                }
                else if (child is JsonObject or JsonArray)
                {
                    pending.Push((child, childPath));
                }
            }
        }
    }

    private static void Replace(JsonNode parent, string key, JsonNode? value)
    {
        if (parent is JsonObject o)
        {
            o[key] = value;
        }
        else if (parent is JsonArray a)
        {
            a[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture)] = value;
        }
    }

    /// <summary>The entity's ref as far as it can be told (for messages), or null.</summary>
    private static string? Describe(JsonObject entity)
    {
        var kind = EntityValidator.AsString(entity["kind"]);
        var name = EntityValidator.AsString(entity["metadata"]?["name"]);
        if (kind is null && name is null)
        {
            return null;
        }

        var ns = EntityValidator.AsString(entity["metadata"]?["namespace"]) ?? EntityRef.DefaultNamespace;
        return $"{(kind ?? "?").ToLowerInvariant()}:{ns.ToLowerInvariant()}/{(name ?? "?").ToLowerInvariant()}";
    }
}
