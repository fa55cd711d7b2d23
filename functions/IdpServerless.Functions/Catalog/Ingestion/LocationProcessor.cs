using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Catalog.Ingestion;

/// <summary>An entity read from a location, validated, annotated with where it came from.</summary>
/// <param name="RefKey">Its canonical ref.</param>
/// <param name="Json">The entity as written plus the location annotations (no uid, etag or relations), as UTF-8 JSON.</param>
/// <param name="Hash">Hash of <paramref name="Json"/>: equal hashes mean nothing changed.</param>
/// <param name="Source">The file it was read from.</param>
/// <param name="Line">1-based line of its document (0 for JSON).</param>
/// <param name="ParentRef">The Location entity whose target led to its file, or null for the registered file itself.</param>
public sealed record ProcessedEntity(string RefKey, byte[] Json, string Hash, LocationSpec Source, int Line, string? ParentRef);

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
        var level = new List<Pending>{ new(root, null, 0, false) };
        while (level.Count > 0)
        {
            var files = new List<Pending>();
            foreach (var pending in level)
            {
                try
                {
                    files.AddRange((await reader.ExpandAsync(pending.Spec, ct).ConfigureAwait(false))
                        .Where(f => visited.Add(f.ToString()))
                        .Select(f => pending with { Spec = f }));
                }
                catch (LocationReadException e)
                {
                    result.Problems.Add(new(pending.Spec.ToString(), null, pending.Parent, string.Empty, e.Message, e.Status));
                }
            }

            // Files are read, parsed and validated in parallel; merging (duplicates, nested targets) stays in file order.
            var outcomes = new FileOutcome[files.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct },
                async (i, token) => outcomes[i] = await ProcessFileAsync(files[i], root, token).ConfigureAwait(false)).ConfigureAwait(false);

            level = [];
            for (var i = 0; i < files.Count; i++)
            {
                var (file, outcome) = (files[i], outcomes[i]);
                result.Problems.AddRange(outcome.Problems);
                var clean = outcome.Clean;
                foreach (var (entity, targets) in outcome.Entities)
                {
                    if (seen.TryGetValue(entity.RefKey, out var first))
                    {
                        result.Problems.Add(new(file.Spec.ToString(), entity.Line, entity.RefKey, "metadata.name",
                            $"duplicate entity: {entity.RefKey} is also defined at {first.Source}{(first.Line > 0 ? " line " + first.Line : string.Empty)}", 409));
                        clean = false;
                        continue;
                    }

                    seen[entity.RefKey] = entity;
                    result.Entities.Add(entity);
                    if (seen.Count > _options.MaxEntitiesPerLocation)
                    {
                        result.Problems.Add(new(file.Spec.ToString(), entity.Line, null, string.Empty, $"the location produces more than {_options.MaxEntitiesPerLocation} entities"));
                        return result;
                    }

                    if (targets is not null)
                    {
                        EnqueueTargets(entity, targets, file, level, result);
                    }
                }

                if (clean)
                {
                    result.CleanSources.Add(file.Spec.ToString());
                }
            }
        }

        return result;
    }

    private async Task<FileOutcome> ProcessFileAsync(Pending file, LocationSpec root, CancellationToken ct)
    {
        var outcome = new FileOutcome();
        var documents = await ReadDocumentsAsync(file.Spec, file.Parent, file.Optional, outcome.Problems, ct).ConfigureAwait(false);
        if (documents is null)
        {
            outcome.Clean = false;
            return outcome;
        }

        foreach (var document in documents)
        {
            if (document.Root is null)
            {
                continue;
            }

            var entity = await ProcessDocumentAsync(file.Spec, root, document, file.Parent, outcome.Problems, ct).ConfigureAwait(false);
            if (entity is null)
            {
                outcome.Clean = false;
            }
            else
            {
                outcome.Entities.Add(entity.Value);
            }
        }

        return outcome;
    }

    private async Task<List<ParsedDocument>?> ReadDocumentsAsync(LocationSpec spec, string? parent, bool optional, List<ProcessingProblem> problems, CancellationToken ct)
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
                problems.Add(new(spec.ToString(), null, parent, string.Empty, e.Message, e.Status));
            }

            return null;
        }

        try
        {
            return Parse(spec.Target, bytes);
        }
        catch (CatalogParseException e)
        {
            problems.Add(new(spec.ToString(), e.Line, null, string.Empty, e.Message));
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

    private async Task<(ProcessedEntity, LocationTargets?)?> ProcessDocumentAsync(LocationSpec spec, LocationSpec root, ParsedDocument document, string? parent, List<ProcessingProblem> problems, CancellationToken ct)
    {
        var source = spec.ToString();
        if (document.Root is not JsonObject entity)
        {
            problems.Add(new(source, document.Line, null, string.Empty, "a catalog document must be an entity (an object with apiVersion, kind, metadata and spec)"));
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
        var found = EntityValidator.Validate(entity);
        if (placeholderProblems.Count > 0 || found.Count > 0)
        {
            problems.AddRange(placeholderProblems);
            problems.AddRange(found.Select(p => new ProcessingProblem(source, document.LineOf(p.Field), name, p.Field, p.Message)));
            return null;
        }

        var metadata = (JsonObject)entity["metadata"]!;
        var kind = EntityValidator.AsString(entity["kind"])!;
        var refKey = EntityRef.Key(kind, EntityValidator.AsString(metadata["namespace"]) ?? EntityRef.DefaultNamespace, EntityValidator.AsString(metadata["name"])!);
        if (metadata["annotations"] is not JsonObject annotations)
        {
            metadata["annotations"] = annotations = [];
        }

        annotations[CatalogAnnotations.ManagedByLocation] = source;
        annotations[CatalogAnnotations.ManagedByOriginLocation] = root.ToString();
        if (spec.Type == LocationSpec.Url)
        {
            annotations[CatalogAnnotations.SourceLocation] = "url:" + new Uri(new Uri(spec.Target), "./").AbsoluteUri;
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(entity);
        if (json.Length > _options.MaxEntityBytes)
        {
            problems.Add(new(source, document.Line, refKey, string.Empty, $"the entity is {json.Length / 1024} KiB; the catalog stores entities of at most {_options.MaxEntityBytes / 1024} KiB", 413));
            return null;
        }

        LocationTargets? targets = null;
        if (kind == "Location")
        {
            var locationSpec = (JsonObject)entity["spec"]!;
            var list = new List<string>();
            if (EntityValidator.AsString(locationSpec["target"]) is { } single)
            {
                list.Add(single);
            }

            if (locationSpec["targets"] is JsonArray many)
            {
                list.AddRange(many.Select(EntityValidator.AsString).OfType<string>());
            }

            targets = new LocationTargets(EntityValidator.AsString(locationSpec["type"]), list, EntityValidator.AsString(locationSpec["presence"]) == "optional");
        }

        return (new ProcessedEntity(refKey, json, EntityBody.Hash(json), spec, document.Line, parent), targets);
    }

    private void EnqueueTargets(ProcessedEntity location, LocationTargets targets, Pending file, List<Pending> next, ProcessingResult result)
    {
        foreach (var target in targets.Targets)
        {
            if (file.Depth + 1 > _options.MaxLocationDepth)
            {
                result.Problems.Add(new(file.Spec.ToString(), location.Line, location.RefKey, "spec.targets", $"Location entities nest deeper than {_options.MaxLocationDepth} levels"));
                return;
            }

            try
            {
                var child = reader.Resolve(file.Spec, targets.Type, target);
                reader.Validate(child);
                next.Add(new Pending(child, location.RefKey, file.Depth + 1, targets.Optional));
            }
            catch (LocationReadException e)
            {
                result.Problems.Add(new(file.Spec.ToString(), location.Line, location.RefKey, "spec.targets", e.Message));
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

    private sealed record Pending(LocationSpec Spec, string? Parent, int Depth, bool Optional);

    private sealed record LocationTargets(string? Type, List<string> Targets, bool Optional);

    private sealed class FileOutcome
    {
        public List<(ProcessedEntity Entity, LocationTargets? Targets)> Entities { get; } = [];

        public List<ProcessingProblem> Problems { get; } = [];

        public bool Clean { get; set; } = true;
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
