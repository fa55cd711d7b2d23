using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Templates.Expressions;
using Json.Schema;

namespace IdpServerless.Functions.Templates.Schema;

/// <summary>
/// Turns JsonSchema.Net's evaluation tree into errors keyed by the value's path (<c>owner</c>, <c>db.engine</c>,
/// <c>tags[0]</c>), worded from the schema the library walked (<c>must be at least 3 characters</c>, <c>must be one
/// of: gold, silver</c>) rather than its own generic text. <c>required</c>, which the library reports on the object,
/// names each missing field; a failed <c>anyOf</c>/<c>oneOf</c> reports the alternative that came closest; the
/// <c>if</c> condition and the items a <c>contains</c> did not match are not errors.
/// </summary>
internal sealed class SchemaErrors(JsonObject root, JsonNode? instance, string rootPath)
{
    /// <summary>Keywords whose own verdict only sums up their subschemas' errors, which are read instead.</summary>
    private static readonly HashSet<string> Applicators = new(StringComparer.Ordinal)
    {
        "properties", "patternProperties", "additionalProperties", "items", "additionalItems", "prefixItems", "contains",
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "propertyNames",
        "unevaluatedItems", "unevaluatedProperties", "$ref", "$dynamicRef", "$recursiveRef",
    };

    private static readonly string[] References = ["$ref", "$dynamicRef", "$recursiveRef"];

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);
    private int _count;
    private bool _wrongType;

    public void Add(string path, string message)
    {
        if (!_errors.TryGetValue(path, out var list))
        {
            _errors[path] = list = [];
        }

        list.Add(message);
        _count++;
    }

    public Dictionary<string, string[]> ToDictionary() =>
        _errors.ToDictionary(e => e.Key, e => e.Value.Distinct(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);

    /// <summary>Reads a failed node of the tree; <paramref name="schema"/> is the (sub)schema it evaluated, when found.</summary>
    public void Read(EvaluationResults node, JsonNode? schema)
    {
        var (path, value) = Locate(node.InstanceLocation.ToString());
        var before = _count;
        if (schema is JsonValue b && b.GetValueKind() == JsonValueKind.False)
        {
            Add(path, "is not allowed");
            return;
        }

        var keywords = schema as JsonObject;
        var verdicts = node.Errors ?? new Dictionary<string, string>();
        if (verdicts.TryGetValue("type", out var typeError))
        {
            // Of a value of the wrong type only that is said: its other keywords were meant for the right type.
            Add(path, keywords?["type"] is { } type ? $"must be {DescribeType(type)}" : typeError);
            return;
        }

        foreach (var (keyword, message) in verdicts)
        {
            Describe(keyword, message, keywords, path, value);
        }

        var alternatives = new List<(string Keyword, EvaluationResults Result, JsonNode? Schema)>();
        var notMatched = false;
        var containsMatched = false;
        foreach (var child in node.Details ?? [])
        {
            var (relative, fromRoot) = Relative(node.EvaluationPath.ToString(), child.EvaluationPath.ToString());
            var first = relative.Count > 0 ? relative[0] : string.Empty;
            var childSchema = relative.Any(References.Contains) ? AtLocation(child.SchemaLocation) : Walk(fromRoot ? root : schema, relative);
            switch (first)
            {
                case "anyOf" or "oneOf":
                    alternatives.Add((first, child, childSchema));
                    break;
                case "not":
                    notMatched |= child.IsValid;
                    break;
                case "contains":
                    containsMatched |= child.IsValid;
                    break;
                case "if":
                    break;
                default:
                    if (!child.IsValid)
                    {
                        Read(child, childSchema);
                    }

                    break;
            }
        }

        foreach (var group in alternatives.GroupBy(a => a.Keyword, StringComparer.Ordinal))
        {
            var matched = group.Count(a => a.Result.IsValid);
            if (group.Key == "oneOf" && matched > 1)
            {
                Add(path, "matches more than one of the allowed alternatives");
            }
            else if (matched == 0)
            {
                Closest(group.Select(a => (a.Result, a.Schema)), path);
            }
        }

        if (notMatched)
        {
            Add(path, "matches a schema it must not match");
        }

        if (keywords?["contains"] is not null && value is JsonArray && !containsMatched && !(Number(keywords, "minContains") is { } least && least <= 0))
        {
            Add(path, "must contain a matching item");
        }

        if (_count == before)
        {
            // Nothing more specific: the library's own words, or at least the place.
            foreach (var message in verdicts.Values)
            {
                Add(path, message);
            }

            if (_count == before)
            {
                Add(path, "is not valid");
            }
        }
    }

    /// <summary>
    /// When no alternative matches, the errors of the one that came closest name what to fix: fewest errors, and one
    /// meant for another type of value (an integer alternative for a string) only when all are.
    /// </summary>
    private void Closest(IEnumerable<(EvaluationResults Result, JsonNode? Schema)> alternatives, string path)
    {
        SchemaErrors? best = null;
        foreach (var (result, schema) in alternatives)
        {
            var errors = new SchemaErrors(root, instance, rootPath);
            errors.Read(result, schema);
            errors._wrongType = result.Errors?.ContainsKey("type") == true;
            if (best is null || (errors._wrongType, errors._count).CompareTo((best._wrongType, best._count)) < 0)
            {
                best = errors;
            }
        }

        if (best is null || best._count == 0)
        {
            Add(path, "matches none of the allowed alternatives");
            return;
        }

        foreach (var (field, messages) in best._errors)
        {
            foreach (var message in messages)
            {
                Add(field, message);
            }
        }
    }

    private void Describe(string keyword, string message, JsonObject? keywords, string path, JsonNode? value)
    {
        if (keywords is not null && keyword is "required" or "dependencies" or "dependentRequired")
        {
            var before = _count;
            foreach (var (field, why) in Missing(keyword, keywords, value))
            {
                Add(Join(path, field), why);
            }

            if (_count > before || keyword == "dependencies")
            {
                return; // dependencies' schema form is read from its subschemas
            }
        }

        var friendly = keywords is null ? null : keyword switch
        {
            "" => "is not allowed",
            "enum" => keywords["enum"] is JsonArray options ? $"must be one of: {string.Join(", ", options.Select(ExpressionEvaluator.ToText))}" : null,
            "const" => $"must be {ExpressionEvaluator.ToText(keywords["const"])}",
            "minLength" => Number(keywords, keyword) is { } min ? (min == 1 ? "is required" : $"must be at least {Format(min)} characters") : null,
            "maxLength" => Number(keywords, keyword) is { } max ? $"must be at most {Format(max)} characters" : null,
            "format" => $"must be a valid {ExpressionEvaluator.ToText(keywords["format"])}",
            "minimum" => Number(keywords, keyword) is { } min ? $"must be at least {Format(min)}" : null,
            "maximum" => Number(keywords, keyword) is { } max ? $"must be at most {Format(max)}" : null,
            "exclusiveMinimum" => Number(keywords, keyword) is { } min ? $"must be greater than {Format(min)}" : null,
            "exclusiveMaximum" => Number(keywords, keyword) is { } max ? $"must be less than {Format(max)}" : null,
            "multipleOf" => Number(keywords, keyword) is { } m ? $"must be a multiple of {Format(m)}" : null,
            "minItems" => Number(keywords, keyword) is { } min ? $"must have at least {Format(min)} item{(min == 1 ? string.Empty : "s")}" : null,
            "maxItems" => Number(keywords, keyword) is { } max ? $"must have at most {Format(max)} item{(max == 1 ? string.Empty : "s")}" : null,
            "uniqueItems" => "must not contain duplicate items",
            "minProperties" => Number(keywords, keyword) is { } min ? $"must have at least {Format(min)} properties" : null,
            "maxProperties" => Number(keywords, keyword) is { } max ? $"must have at most {Format(max)} properties" : null,
            _ => null,
        };
        if (friendly is not null)
        {
            Add(path, friendly);
        }
        else if (!Applicators.Contains(keyword) || message == TimedDialects.TimedOut)
        {
            Add(path, message);
        }
    }

    /// <summary>The fields <c>required</c> or a property dependency asks for that the object lacks.</summary>
    private static IEnumerable<(string Field, string Why)> Missing(string keyword, JsonObject keywords, JsonNode? value)
    {
        if (value is not JsonObject obj)
        {
            yield break;
        }

        if (keyword == "required")
        {
            foreach (var name in (keywords["required"] as JsonArray ?? []).Select(ExpressionEvaluator.ToText).Where(n => !obj.ContainsKey(n)))
            {
                yield return (name, "is required");
            }

            yield break;
        }

        foreach (var (name, dependency) in keywords[keyword] as JsonObject ?? [])
        {
            if (dependency is JsonArray needed && obj.ContainsKey(name))
            {
                foreach (var other in needed.Select(ExpressionEvaluator.ToText).Where(o => !obj.ContainsKey(o)))
                {
                    yield return (other, $"is required when {name} is set");
                }
            }
        }
    }

    /// <summary>The path (<c>a.b[0]</c>) and the value at a JSON Pointer into the instance.</summary>
    private (string Path, JsonNode? Value) Locate(string pointer)
    {
        var path = rootPath;
        var node = instance;
        foreach (var segment in Segments(pointer))
        {
            if (node is JsonArray array && int.TryParse(segment, out var i))
            {
                path = $"{path}[{i}]";
                node = i >= 0 && i < array.Count ? array[i] : null;
            }
            else
            {
                path = Join(path, segment);
                node = (node as JsonObject)?[segment];
            }
        }

        return (path, node);
    }

    /// <summary>A subschema reached through a reference, by the fragment of the location the library gives.</summary>
    private JsonNode? AtLocation(Uri location)
    {
        var fragment = Uri.UnescapeDataString(location.Fragment.TrimStart('#'));
        return fragment.Length == 0 || fragment[0] == '/' ? Walk(root, Segments(fragment)) : null;
    }

    private static (List<string> Segments, bool FromRoot) Relative(string parent, string child) =>
        child.StartsWith(parent, StringComparison.Ordinal) && (child.Length == parent.Length || child[parent.Length] == '/')
            ? (Segments(child[parent.Length..]), false)
            : (Segments(child), true);

    private static JsonNode? Walk(JsonNode? node, List<string> segments)
    {
        foreach (var segment in segments)
        {
            node = node switch
            {
                JsonObject o => o[segment],
                JsonArray a when int.TryParse(segment, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
        }

        return node;
    }

    private static List<string> Segments(string pointer) =>
        pointer.Length == 0
            ? []
            : [.. pointer.TrimStart('/').Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];

    private static double? Number(JsonObject keywords, string key) =>
        keywords[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? ExpressionEvaluator.Num(v) : null;

    private static string Format(double d) => ExpressionEvaluator.FormatNumber(d);

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static string DescribeType(JsonNode type) => type switch
    {
        JsonArray types => string.Join(" or ", types.Select(t => DescribeType(t!))),
        _ => ExpressionEvaluator.ToText(type) switch
        {
            "string" => "a string",
            "number" => "a number",
            "integer" => "a whole number",
            "boolean" => "true or false",
            "object" => "an object",
            "array" => "a list",
            "null" => "null",
            var other => other,
        },
    };
}
