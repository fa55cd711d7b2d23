using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace IdpServerless.Functions.Templates.Schema;

/// <summary>
/// Checks template parameters and action inputs with JsonSchema.Net: full JSON Schema, draft-07 unless the schema's
/// <c>$schema</c> names another dialect (2020-12, 2019-09, draft-06). <c>ui:*</c> keys are form hints the library
/// ignores. <c>format</c> is asserted. Errors are keyed by the value's path (<c>name</c>, <c>owner.team</c>,
/// <c>tags[1]</c>) so the form can show them next to the field, in this app's words (<see cref="SchemaErrors"/>).
/// Empty strings and nulls count as absent, as in the Backstage form, which leaves emptied fields out.
/// </summary>
public static class ParameterSchemas
{
    private const int MaxDepth = 48;
    private static readonly Uri BaseUri = new("https://schema.idp.invalid/parameters");
    private static readonly ConditionalWeakTable<JsonObject, Built> Cache = [];

    private static readonly EvaluationOptions Options = new()
    {
        // The tree, not the list: an alternative that failed beneath an anyOf that passed, or the `if` condition,
        // appears in the list too, and only the tree says whether a failure counts.
        OutputFormat = OutputFormat.Hierarchical,
        RequireFormatValidation = true,
        FormatRegistry = Formats(),
    };

    private sealed record Built(JsonSchema? Schema, string? Problem);

    /// <summary>Validates <paramref name="value"/>; an empty result means valid.</summary>
    public static Dictionary<string, string[]> Validate(JsonObject schema, JsonNode? value, string rootPath = "")
    {
        var instance = WithoutEmpty(value);
        var errors = new SchemaErrors(schema, instance, rootPath);
        var built = Cache.GetValue(schema, Build);
        var problem = built.Problem;
        if (built.Schema is not null)
        {
            using var document = JsonDocument.Parse(instance?.ToJsonString() ?? "null");
            EvaluationResults? results = null;
            try
            {
                results = built.Schema.Evaluate(document.RootElement, Options);
            }
            catch (JsonSchemaException e)
            {
                problem = e.Message; // a fault the library finds only while evaluating
            }

            if (results is { IsValid: false })
            {
                errors.Read(results, schema);
            }
        }

        if (problem is not null)
        {
            errors.Add(rootPath, $"cannot be checked: the template's schema is not valid JSON Schema ({problem.Replace(BaseUri.ToString(), string.Empty, StringComparison.Ordinal)})");
        }

        return errors.ToDictionary();
    }

    /// <summary>Fills absent properties that declare a <c>default</c> (recursively into objects that are present or defaulted).</summary>
    public static void ApplyDefaults(JsonObject schema, JsonObject value, int depth = 0)
    {
        if (depth > MaxDepth || schema["properties"] is not JsonObject props)
        {
            return;
        }

        foreach (var (name, propNode) in props)
        {
            if (propNode is not JsonObject prop)
            {
                continue;
            }

            if (!value.ContainsKey(name) && prop["default"] is { } d)
            {
                value[name] = d.DeepClone();
            }

            if (value[name] is JsonObject child)
            {
                ApplyDefaults(prop, child, depth + 1);
            }
        }
    }

    private static Built Build(JsonObject schema)
    {
        try
        {
            var options = new BuildOptions { Dialect = TimedDialects.Default, DialectRegistry = TimedDialects.Registry, SchemaRegistry = new SchemaRegistry() };
            return new Built(JsonSchema.FromText(schema.ToJsonString(), options, BaseUri), null);
        }
        catch (JsonSchemaException e)
        {
            return new Built(null, e.Message);
        }
    }

    /// <summary>A copy without the properties that hold null or an empty string, at every depth.</summary>
    private static JsonNode? WithoutEmpty(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o
            .Where(p => p.Value is not null && !(p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0))
            .Select(p => KeyValuePair.Create(p.Key, WithoutEmpty(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(WithoutEmpty)]),
        _ => node?.DeepClone(),
    };

    /// <summary>Written with its scheme: on Linux <c>/path</c> would otherwise parse as an absolute <c>file:</c> URI.</summary>
    private static bool IsAbsoluteUrl(string s) =>
        Uri.TryCreate(s, UriKind.Absolute, out var uri) && s.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase);

    /// <summary>The library's formats, and <c>url</c> (not a JSON Schema format; templates use it for absolute URLs).</summary>
    private static FormatRegistry Formats()
    {
        var formats = new FormatRegistry();
        formats.Register(new PredicateFormat("url", e => e.ValueKind != JsonValueKind.String || IsAbsoluteUrl(e.GetString()!)));
        return formats;
    }
}
