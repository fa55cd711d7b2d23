using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IdpServerless.Functions.Templates.Expressions;

namespace IdpServerless.Functions.Templates.Schema;

/// <summary>
/// A focused JSON Schema (draft-07) validator for what template parameters and action inputs use: <c>type</c>,
/// <c>enum</c>, <c>const</c>, <c>required</c>, <c>properties</c>, <c>additionalProperties</c>, string lengths,
/// <c>pattern</c>, a few <c>format</c>s, numeric ranges, <c>multipleOf</c>, <c>items</c>, array sizes,
/// <c>uniqueItems</c>, <c>allOf/anyOf/oneOf/not</c>, <c>if/then/else</c>, <c>dependencies</c> and local <c>$ref</c>s.
/// <c>ui:*</c> keys are form hints and never affect validation. Errors are keyed by the value's path
/// (<c>name</c>, <c>owner.team</c>, <c>tags[1]</c>), so the form can show them next to the field.
/// </summary>
public static class JsonSchemaValidator
{
    private const int MaxDepth = 48;
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly ConcurrentDictionary<string, Regex?> Patterns = new(StringComparer.Ordinal);

    /// <summary>Validates <paramref name="value"/>; an empty result means valid.</summary>
    public static Dictionary<string, string[]> Validate(JsonObject schema, JsonNode? value, string rootPath = "")
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        Check(schema, schema, value, rootPath, errors, 0);
        return errors.ToDictionary(e => e.Key, e => e.Value.Distinct().ToArray(), StringComparer.Ordinal);
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

    private static void Check(JsonObject root, JsonNode? schemaNode, JsonNode? value, string path, Dictionary<string, List<string>> errors, int depth)
    {
        if (depth > MaxDepth)
        {
            Add(errors, path, "is nested too deeply");
            return;
        }

        if (schemaNode is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            if (b.GetValueKind() == JsonValueKind.False)
            {
                Add(errors, path, "is not allowed");
            }

            return;
        }

        if (schemaNode is not JsonObject schema)
        {
            return;
        }

        if (schema["$ref"] is JsonValue r && r.TryGetValue<string>(out var reference))
        {
            Check(root, Resolve(root, reference), value, path, errors, depth + 1);
        }

        if (schema["type"] is { } type && !MatchesType(type, value))
        {
            Add(errors, path, $"must be {DescribeType(type)}");
            return;
        }

        if (schema["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, value)))
        {
            Add(errors, path, $"must be one of: {string.Join(", ", options.Select(ExpressionEvaluator.ToText))}");
        }

        if (schema.ContainsKey("const") && !JsonNode.DeepEquals(schema["const"], value))
        {
            Add(errors, path, $"must be {ExpressionEvaluator.ToText(schema["const"])}");
        }

        switch (value)
        {
            case JsonObject obj:
                CheckObject(root, schema, obj, path, errors, depth);
                break;
            case JsonArray arr:
                CheckArray(root, schema, arr, path, errors, depth);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                CheckString(schema, v.GetValue<string>(), path, errors);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                CheckNumber(schema, ExpressionEvaluator.Num(v), path, errors);
                break;
        }

        CheckCombinators(root, schema, value, path, errors, depth);
    }

    private static void CheckObject(JsonObject root, JsonObject schema, JsonObject obj, string path, Dictionary<string, List<string>> errors, int depth)
    {
        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required.Select(ExpressionEvaluator.ToText))
            {
                if (obj[name] is null || (obj[name] is JsonValue sv && sv.TryGetValue<string>(out var s) && s.Length == 0))
                {
                    Add(errors, Join(path, name), "is required");
                }
            }
        }

        var props = schema["properties"] as JsonObject;
        foreach (var (name, child) in obj)
        {
            if (props?[name] is { } propSchema)
            {
                if (child is not null)
                {
                    Check(root, propSchema, child, Join(path, name), errors, depth + 1);
                }
            }
            else if (schema["additionalProperties"] is { } extra && !(props?.ContainsKey(name) ?? false))
            {
                Check(root, extra, child, Join(path, name), errors, depth + 1);
            }
        }

        if (Int(schema, "minProperties") is { } minP && obj.Count < minP)
        {
            Add(errors, path, $"must have at least {minP} properties");
        }

        if (Int(schema, "maxProperties") is { } maxP && obj.Count > maxP)
        {
            Add(errors, path, $"must have at most {maxP} properties");
        }

        if (schema["dependencies"] is JsonObject dependencies)
        {
            foreach (var (name, dependency) in dependencies)
            {
                if (obj[name] is null)
                {
                    continue;
                }

                if (dependency is JsonArray needed)
                {
                    foreach (var other in needed.Select(ExpressionEvaluator.ToText).Where(o => obj[o] is null))
                    {
                        Add(errors, Join(path, other), $"is required when {name} is set");
                    }
                }
                else
                {
                    Check(root, dependency, obj, path, errors, depth + 1);
                }
            }
        }
    }

    private static void CheckArray(JsonObject root, JsonObject schema, JsonArray arr, string path, Dictionary<string, List<string>> errors, int depth)
    {
        if (Int(schema, "minItems") is { } min && arr.Count < min)
        {
            Add(errors, path, $"must have at least {min} item{(min == 1 ? string.Empty : "s")}");
        }

        if (Int(schema, "maxItems") is { } max && arr.Count > max)
        {
            Add(errors, path, $"must have at most {max} item{(max == 1 ? string.Empty : "s")}");
        }

        if (schema["uniqueItems"] is JsonValue u && u.GetValueKind() == JsonValueKind.True)
        {
            for (var i = 1; i < arr.Count; i++)
            {
                if (Enumerable.Range(0, i).Any(j => JsonNode.DeepEquals(arr[i], arr[j])))
                {
                    Add(errors, path, "must not contain duplicate items");
                    break;
                }
            }
        }

        for (var i = 0; i < arr.Count; i++)
        {
            var itemSchema = schema["items"] switch
            {
                JsonArray tuple => i < tuple.Count ? tuple[i] : schema["additionalItems"],
                var single => single,
            };
            if (itemSchema is not null)
            {
                Check(root, itemSchema, arr[i], $"{path}[{i}]", errors, depth + 1);
            }
        }

        if (schema["contains"] is { } contains && !arr.Any(item => Validate2(root, contains, item, depth)))
        {
            Add(errors, path, "must contain a matching item");
        }
    }

    private static void CheckString(JsonObject schema, string s, string path, Dictionary<string, List<string>> errors)
    {
        var length = s.EnumerateRunes().Count();
        if (Int(schema, "minLength") is { } min && length < min)
        {
            Add(errors, path, min == 1 ? "is required" : $"must be at least {min} characters");
        }

        if (Int(schema, "maxLength") is { } max && length > max)
        {
            Add(errors, path, $"must be at most {max} characters");
        }

        if (schema["pattern"] is JsonValue p && p.TryGetValue<string>(out var pattern))
        {
            var regex = Patterns.GetOrAdd(pattern, static x =>
            {
                try
                {
                    return new Regex(x, RegexOptions.CultureInvariant, RegexTimeout);
                }
                catch (ArgumentException)
                {
                    return null;
                }
            });
            try
            {
                if (regex is null)
                {
                    Add(errors, path, $"cannot be checked: the template's pattern '{pattern}' is not a valid regular expression");
                }
                else if (!regex.IsMatch(s))
                {
                    Add(errors, path, $"must match the pattern {pattern}");
                }
            }
            catch (RegexMatchTimeoutException)
            {
                Add(errors, path, "took too long to check against the pattern");
            }
        }

        if (schema["format"] is JsonValue f && f.TryGetValue<string>(out var format) && !MatchesFormat(format, s))
        {
            Add(errors, path, $"must be a valid {format}");
        }
    }

    private static void CheckNumber(JsonObject schema, double n, string path, Dictionary<string, List<string>> errors)
    {
        var exclusiveMinFlag = schema["exclusiveMinimum"] is JsonValue em && em.GetValueKind() == JsonValueKind.True;
        var exclusiveMaxFlag = schema["exclusiveMaximum"] is JsonValue eM && eM.GetValueKind() == JsonValueKind.True;
        if (Num(schema, "minimum") is { } min && (exclusiveMinFlag ? n <= min : n < min))
        {
            Add(errors, path, exclusiveMinFlag ? $"must be greater than {Format(min)}" : $"must be at least {Format(min)}");
        }

        if (Num(schema, "maximum") is { } max && (exclusiveMaxFlag ? n >= max : n > max))
        {
            Add(errors, path, exclusiveMaxFlag ? $"must be less than {Format(max)}" : $"must be at most {Format(max)}");
        }

        if (Num(schema, "exclusiveMinimum") is { } xmin && n <= xmin)
        {
            Add(errors, path, $"must be greater than {Format(xmin)}");
        }

        if (Num(schema, "exclusiveMaximum") is { } xmax && n >= xmax)
        {
            Add(errors, path, $"must be less than {Format(xmax)}");
        }

        if (Num(schema, "multipleOf") is { } m && m > 0 && Math.Abs((n / m) - Math.Round(n / m)) > 1e-9)
        {
            Add(errors, path, $"must be a multiple of {Format(m)}");
        }
    }

    private static void CheckCombinators(JsonObject root, JsonObject schema, JsonNode? value, string path, Dictionary<string, List<string>> errors, int depth)
    {
        if (schema["allOf"] is JsonArray all)
        {
            foreach (var s in all)
            {
                Check(root, s, value, path, errors, depth + 1);
            }
        }

        if (schema["anyOf"] is JsonArray any && !any.Any(s => Validate2(root, s, value, depth)))
        {
            MergeClosest(root, any, value, path, errors, depth);
        }

        if (schema["oneOf"] is JsonArray one)
        {
            var matches = one.Count(s => Validate2(root, s, value, depth));
            if (matches == 0)
            {
                MergeClosest(root, one, value, path, errors, depth);
            }
            else if (matches > 1)
            {
                Add(errors, path, "matches more than one of the allowed alternatives");
            }
        }

        if (schema["not"] is { } not && Validate2(root, not, value, depth))
        {
            Add(errors, path, "matches a schema it must not match");
        }

        if (schema["if"] is { } condition)
        {
            var branch = Validate2(root, condition, value, depth) ? schema["then"] : schema["else"];
            if (branch is not null)
            {
                Check(root, branch, value, path, errors, depth + 1);
            }
        }
    }

    /// <summary>When no alternative matches, the errors of the one that came closest name what to fix.</summary>
    private static void MergeClosest(JsonObject root, JsonArray alternatives, JsonNode? value, string path, Dictionary<string, List<string>> errors, int depth)
    {
        Dictionary<string, List<string>>? best = null;
        foreach (var s in alternatives)
        {
            var e = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            Check(root, s, value, path, e, depth + 1);
            if (best is null || e.Sum(x => x.Value.Count) < best.Sum(x => x.Value.Count))
            {
                best = e;
            }
        }

        if (best is null || best.Count == 0)
        {
            Add(errors, path, "matches none of the allowed alternatives");
            return;
        }

        foreach (var (k, v) in best)
        {
            foreach (var m in v)
            {
                Add(errors, k, m);
            }
        }
    }

    private static bool Validate2(JsonObject root, JsonNode? schema, JsonNode? value, int depth)
    {
        var e = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        Check(root, schema, value, string.Empty, e, depth + 1);
        return e.Count == 0;
    }

    private static JsonNode? Resolve(JsonObject root, string reference)
    {
        if (reference == "#")
        {
            return root;
        }

        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }

        JsonNode? node = root;
        foreach (var raw in reference[2..].Split('/'))
        {
            var key = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node is JsonObject o ? o[key] : null;
        }

        return node;
    }

    private static bool MatchesType(JsonNode type, JsonNode? value) => type switch
    {
        JsonArray types => types.Any(t => MatchesType(t!, value)),
        _ => ExpressionEvaluator.ToText(type) switch
        {
            "string" => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
            "number" => ExpressionEvaluator.IsNumber(value),
            "integer" => ExpressionEvaluator.IsNumber(value) && ExpressionEvaluator.Num(value!) is var d && d == Math.Floor(d),
            "boolean" => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
            "object" => value is JsonObject,
            "array" => value is JsonArray,
            "null" => value is null,
            _ => true,
        },
    };

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

    private static bool MatchesFormat(string format, string s) => format switch
    {
        "email" => s.IndexOf('@', StringComparison.Ordinal) is > 0 and var at && at < s.Length - 1 && !s.Any(char.IsWhiteSpace),
        "uri" or "url" => Uri.TryCreate(s, UriKind.Absolute, out _),
        "date-time" => DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _) && s.Contains('T', StringComparison.OrdinalIgnoreCase),
        "date" => DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "hostname" => s.Length is > 0 and <= 253 && s.Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && l[0] != '-' && l[^1] != '-'),
        _ => true,
    };

    private static int? Int(JsonObject schema, string key) => Num(schema, key) is { } d ? (int)Math.Min(d, int.MaxValue) : null;

    private static double? Num(JsonObject schema, string key) =>
        schema[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? ExpressionEvaluator.Num(v) : null;

    private static string Format(double d) => ExpressionEvaluator.FormatNumber(d);

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static void Add(Dictionary<string, List<string>> errors, string path, string message)
    {
        if (!errors.TryGetValue(path, out var list))
        {
            errors[path] = list = [];
        }

        list.Add(message);
    }
}
