using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IdpServerless.Functions.Templates.Expressions;

namespace IdpServerless.Functions.Templates.Model;

/// <summary>One form page of a template: a JSON Schema object (its <c>ui:*</c> keys are hints for the form).</summary>
public sealed record ParameterStep(string Title, string? Description, JsonObject Schema);

/// <summary>A step of a template: an action run with rendered input, skipped when <see cref="If"/> is falsy.</summary>
public sealed record TemplateStep(string Id, string Name, string Action, JsonObject Input, JsonNode? If);

/// <summary>
/// A <c>scaffolder.backstage.io/v1beta3</c> Template entity, parsed and checked: its form pages, its steps and its
/// output. <see cref="Location"/> is where it was read from (<c>file:/…/template.yaml</c> or
/// <c>git:owner/repo/path/template.yaml</c>); relative skeleton URLs resolve against it.
/// </summary>
public sealed record TemplateDefinition(
    string Ref,
    string Name,
    string Title,
    string? Description,
    IReadOnlyList<ParameterStep> Parameters,
    IReadOnlyList<TemplateStep> Steps,
    JsonObject? Output,
    string? Location,
    JsonObject Entity)
{
    public const string ApiVersion = "scaffolder.backstage.io/v1beta3";
    public const string ManagedByLocation = "backstage.io/managed-by-location";
    public const int MaxSteps = 50;

    /// <summary>Validates <paramref name="values"/> against every form page; errors keyed by field path.</summary>
    public Dictionary<string, string[]> ValidateValues(JsonObject values)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var page in Parameters)
        {
            foreach (var (field, messages) in Schema.ParameterSchemas.Validate(page.Schema, values))
            {
                errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, .. messages.Except(existing)] : messages;
            }
        }

        return errors;
    }

    /// <summary>Fills in the defaults every form page declares for fields the caller left out.</summary>
    public void ApplyDefaults(JsonObject values)
    {
        foreach (var page in Parameters)
        {
            Schema.ParameterSchemas.ApplyDefaults(page.Schema, values);
        }
    }
}

/// <summary>Reads a Template entity (already JSON) into a <see cref="TemplateDefinition"/>, naming every problem by its path.</summary>
public static partial class TemplateParser
{
    public static TemplateDefinition Parse(JsonObject entity, IDictionary<string, string[]> errors)
    {
        if (entity["apiVersion"]?.ToString() != TemplateDefinition.ApiVersion)
        {
            Add(errors, "apiVersion", $"must be {TemplateDefinition.ApiVersion}");
        }

        if (!string.Equals(entity["kind"]?.ToString(), "Template", StringComparison.OrdinalIgnoreCase))
        {
            Add(errors, "kind", "must be Template");
        }

        var metadata = entity["metadata"] as JsonObject;
        var name = metadata?["name"]?.ToString() ?? string.Empty;
        if (name.Length == 0)
        {
            Add(errors, "metadata.name", "is required");
        }

        var ns = metadata?["namespace"]?.ToString() is { Length: > 0 } n ? n : "default";
        var spec = entity["spec"] as JsonObject;
        if (spec is null)
        {
            Add(errors, "spec", "is required");
        }

        var parameters = ReadParameters(spec?["parameters"], errors);
        var steps = ReadSteps(spec?["steps"], errors);
        var output = spec?["output"];
        if (output is not null and not JsonObject)
        {
            Add(errors, "spec.output", "must be an object with links and/or text");
        }

        var location = (metadata?["annotations"] as JsonObject)?[TemplateDefinition.ManagedByLocation]?.ToString();
        return new TemplateDefinition(
            $"template:{ns.ToLowerInvariant()}/{name.ToLowerInvariant()}",
            name,
            metadata?["title"]?.ToString() is { Length: > 0 } title ? title : name,
            metadata?["description"]?.ToString(),
            parameters,
            steps,
            output as JsonObject,
            location,
            entity);
    }

    private static List<ParameterStep> ReadParameters(JsonNode? node, IDictionary<string, string[]> errors)
    {
        var pages = node switch
        {
            null => [],
            JsonArray a => a.ToList(),
            JsonObject o => [o],
            _ => null,
        };
        if (pages is null)
        {
            Add(errors, "spec.parameters", "must be a JSON Schema object or a list of them");
            return [];
        }

        var result = new List<ParameterStep>();
        for (var i = 0; i < pages.Count; i++)
        {
            if (pages[i] is not JsonObject schema)
            {
                Add(errors, $"spec.parameters[{i}]", "must be a JSON Schema object");
                continue;
            }

            if (schema["properties"] is not null and not JsonObject)
            {
                Add(errors, $"spec.parameters[{i}].properties", "must be an object");
            }

            var copy = (JsonObject)schema.DeepClone();
            if (copy["type"] is null)
            {
                copy["type"] = "object";
            }

            result.Add(new ParameterStep(schema["title"]?.ToString() ?? "Please enter the following information", schema["description"]?.ToString(), copy));
        }

        return result;
    }

    private static List<TemplateStep> ReadSteps(JsonNode? node, IDictionary<string, string[]> errors)
    {
        if (node is not JsonArray list)
        {
            if (node is not null)
            {
                Add(errors, "spec.steps", "must be a list of steps");
            }

            return [];
        }

        if (list.Count > TemplateDefinition.MaxSteps)
        {
            Add(errors, "spec.steps", $"must have at most {TemplateDefinition.MaxSteps} steps");
        }

        var steps = new List<TemplateStep>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var path = $"spec.steps[{i}]";
            if (list[i] is not JsonObject step)
            {
                Add(errors, path, "must be an object with id, name, action and input");
                continue;
            }

            var id = step["id"]?.ToString() ?? $"step-{i + 1}";
            if (!StepId().IsMatch(id))
            {
                Add(errors, $"{path}.id", "must be 1-64 letters, digits, '-' or '_'");
            }
            else if (!ids.Add(id))
            {
                Add(errors, $"{path}.id", $"'{id}' is used by an earlier step");
            }

            var action = step["action"]?.ToString();
            if (string.IsNullOrWhiteSpace(action))
            {
                Add(errors, $"{path}.action", "is required");
            }

            var input = step["input"] switch
            {
                null => new JsonObject(),
                JsonObject o => (JsonObject)o.DeepClone(),
                _ => null,
            };
            if (input is null)
            {
                Add(errors, $"{path}.input", "must be an object");
            }

            CheckExpressions(step["input"], $"{path}.input", errors);
            CheckExpressions(step["if"], $"{path}.if", errors);
            steps.Add(new TemplateStep(id, step["name"]?.ToString() ?? id, action ?? string.Empty, input ?? [], step["if"]?.DeepClone()));
        }

        return steps;
    }

    /// <summary>Parses every <c>${{ }}</c> up front so a template with a broken expression is refused before it runs.</summary>
    private static void CheckExpressions(JsonNode? node, string path, IDictionary<string, string[]> errors)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    CheckExpressions(v, $"{path}.{k}", errors);
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    CheckExpressions(a[i], $"{path}[{i}]", errors);
                }

                break;
            case JsonValue v when v.TryGetValue<string>(out var s) && s.Contains(TemplateText.Open, StringComparison.Ordinal):
                try
                {
                    TemplateText.Check(s);
                }
                catch (TemplateExpressionException e)
                {
                    Add(errors, path, e.Message);
                }

                break;
        }
    }

    private static void Add(IDictionary<string, string[]> errors, string key, string message) =>
        errors[key] = errors.TryGetValue(key, out var existing) ? [.. existing, message] : [message];

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex StepId();
}
