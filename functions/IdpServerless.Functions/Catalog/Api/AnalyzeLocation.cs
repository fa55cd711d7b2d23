using System.Text.Json;
using System.Text.RegularExpressions;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Ingestion;
using IdpServerless.Functions.Catalog.Model;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>
/// <c>POST /analyze-location</c> with <c>{location: {type, target}, catalogFileName?}</c> to
/// <c>{existingEntityFiles: [{entity, isRegistered, location}], generateEntities: [{entity, fields}]}</c>, registering nothing.
/// When the location holds catalog entities each is listed with the file it is in and whether the catalog already has an
/// entity with its ref. When it holds none (a file target that does not exist, or a folder without
/// <c>catalogFileName</c>, default <c>catalog-info.yaml</c>), one Component is proposed with the fields left to fill.
/// </summary>
public static partial class AnalyzeLocation
{
    public const string DefaultCatalogFileName = "catalog-info.yaml";

    public static async Task<IResult> PostAsync(HttpRequest request, CatalogService service, CatalogIndex index, CancellationToken ct)
    {
        var body = await CatalogRequests.ReadObjectAsync(request, ct).ConfigureAwait(false);
        if (body["location"] is not System.Text.Json.Nodes.JsonObject location)
        {
            throw CatalogProblems.Input("location", "is required: {\"location\": {\"type\": \"file|url|git\", \"target\": \"...\"}}.");
        }

        var spec = Locations.ReadSpec(location, "location.");
        var fileName = body["catalogFileName"] is null ? DefaultCatalogFileName : EntityValidator.AsString(body["catalogFileName"]);
        if (string.IsNullOrWhiteSpace(fileName) || fileName.Contains('/', StringComparison.Ordinal) || fileName.Contains('\\', StringComparison.Ordinal) || fileName is "." or "..")
        {
            throw CatalogProblems.Input("catalogFileName", "must be a file name (no folders), e.g. catalog-info.yaml.");
        }

        var outcome = await service.AnalyzeAsync(spec, fileName.Trim(), ct).ConfigureAwait(false);
        return EntityJson.Result(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("existingEntityFiles");
            foreach (var entity in outcome.Entities ?? [])
            {
                w.WriteStartObject();
                w.WritePropertyName("entity");
                w.WriteRawValue(entity.Json, skipInputValidation: true);
                w.WriteBoolean("isRegistered", index.Get(entity.RefKey) is not null);
                w.WriteStartObject("location");
                w.WriteString("type", entity.Source.Type);
                w.WriteString("target", entity.Source.Target);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("generateEntities");
            if (outcome.Entities is null)
            {
                WriteProposal(w, outcome.Spec);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>A Component named after the folder (or repository) the location is in, with owner left to the user.</summary>
    private static void WriteProposal(Utf8JsonWriter w, LocationSpec spec)
    {
        var name = SuggestName(spec);
        w.WriteStartObject();
        w.WriteStartObject("entity");
        w.WriteString("apiVersion", "backstage.io/v1alpha1");
        w.WriteString("kind", "Component");
        w.WriteStartObject("metadata");
        w.WriteString("name", name);
        w.WriteEndObject();
        w.WriteStartObject("spec");
        w.WriteString("type", "other");
        w.WriteString("lifecycle", "unknown");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartArray("fields");
        Field(w, "metadata.name", "analysisSuggestedValue", name, "Named after the folder the location is in; change it if the component has another name.");
        Field(w, "spec.owner", "needsUserInput", null, "Who owns this component: a group or user ref, e.g. group:default/my-team.");
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Field(Utf8JsonWriter w, string field, string state, string? value, string description)
    {
        w.WriteStartObject();
        w.WriteString("field", field);
        w.WriteString("state", state);
        if (value is null)
        {
            w.WriteNull("value");
        }
        else
        {
            w.WriteString("value", value);
        }

        w.WriteString("description", description);
        w.WriteEndObject();
    }

    private static string SuggestName(LocationSpec spec)
    {
        var parts = spec.Target.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var folder = parts.Length >= 2 ? parts[^2] : parts.LastOrDefault() ?? "component";
        var name = InvalidNameChars().Replace(folder.ToLowerInvariant(), "-").Trim('-', '.', '_');
        name = name.Length > 63 ? name[..63].TrimEnd('-', '.', '_') : name;
        return name.Length == 0 ? "component" : name;
    }

    [GeneratedRegex("[^a-z0-9._-]+")]
    private static partial Regex InvalidNameChars();
}
