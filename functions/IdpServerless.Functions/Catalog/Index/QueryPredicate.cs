using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Catalog.Index;

/// <summary>
/// Backstage's filter predicate for <c>POST /entities/by-query</c>: <c>$all</c>, <c>$any</c>, <c>$not</c> over field
/// matchers (a literal, <c>$exists</c>, <c>$in</c>, <c>$hasPrefix</c>, <c>$contains</c>). All matching is case-insensitive.
/// </summary>
public abstract record QueryPredicate
{
    private const int MaxDepth = 16;

    /// <summary>Parses the <c>query</c> member; throws a 400 naming the offending path.</summary>
    public static QueryPredicate Parse(JsonNode? node, string path = "query", int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw ProblemException.BadRequest(path, "the predicate is nested too deeply.");
        }

        if (node is not JsonObject obj)
        {
            throw ProblemException.BadRequest(path, "a predicate must be an object.");
        }

        if (obj.Count == 1 && obj.First() is var (op, value) && op.StartsWith('$'))
        {
            return op switch
            {
                "$all" => new AllOf(ParseList(value, path + ".$all", depth)),
                "$any" => new AnyOf(ParseList(value, path + ".$any", depth)),
                "$not" => new Not(Parse(value, path + ".$not", depth + 1)),
                _ => throw ProblemException.BadRequest($"{path}.{op}", "unknown operator; expected $all, $any or $not."),
            };
        }

        var fields = new List<QueryPredicate>();
        foreach (var (key, matcher) in obj)
        {
            fields.Add(ParseField(key.ToLowerInvariant(), matcher, $"{path}.{key}"));
        }

        return fields.Count == 1 ? fields[0] : new AllOf(fields);
    }

    private static List<QueryPredicate> ParseList(JsonNode? node, string path, int depth) =>
        node is JsonArray array
            ? array.Select((n, i) => Parse(n, $"{path}[{i}]", depth + 1)).ToList()
            : throw ProblemException.BadRequest(path, "expected a list of predicates.");

    private static QueryPredicate ParseField(string key, JsonNode? value, string path)
    {
        if (value is JsonObject matcher)
        {
            if (matcher.Count != 1)
            {
                throw ProblemException.BadRequest(path, "a matcher object has exactly one operator.");
            }

            var (op, arg) = matcher.First();
            return op switch
            {
                "$exists" when arg is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => new Exists(key, v.GetValue<bool>()),
                "$in" when arg is JsonArray list => new In(key, list.Select(i => Primitive(i, path + ".$in")).ToList()),
                "$hasPrefix" when arg is JsonValue => new HasPrefix(key, Primitive(arg, path + ".$hasPrefix")),
                "$contains" when key == "relations" && arg is JsonObject rel => ParseRelation(rel, path + ".$contains"),
                "$contains" when arg is JsonValue => new In(key, [Primitive(arg, path + ".$contains")]),
                "$exists" or "$in" or "$hasPrefix" or "$contains" => throw ProblemException.BadRequest($"{path}.{op}", "has the wrong argument; expected $exists (bool), $in (list), $hasPrefix (string) or $contains."),
                _ => throw ProblemException.BadRequest($"{path}.{op}", "unknown operator; expected $exists, $in, $hasPrefix or $contains."),
            };
        }

        return new In(key, [Primitive(value, path)]);
    }

    private static QueryPredicate ParseRelation(JsonObject rel, string path)
    {
        var type = rel["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String
            ? t.GetValue<string>()
            : throw ProblemException.BadRequest(path + ".type", "a relation matcher needs a type.");
        var key = "relations." + type.ToLowerInvariant();
        return rel["targetRef"] switch
        {
            null => new Exists(key, true),
            JsonObject { Count: 1 } m when m["$in"] is JsonArray list => new In(key, list.Select(i => Primitive(i, path + ".targetRef.$in")).ToList()),
            var v => new In(key, [Primitive(v, path + ".targetRef")]),
        };
    }

    private static string Primitive(JsonNode? node, string path) =>
        node is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
            ? (v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()).ToLowerInvariant()
            : throw ProblemException.BadRequest(path, "expected a string, number or boolean.");

    public sealed record AllOf(IReadOnlyList<QueryPredicate> Items) : QueryPredicate;

    public sealed record AnyOf(IReadOnlyList<QueryPredicate> Items) : QueryPredicate;

    public sealed record Not(QueryPredicate Item) : QueryPredicate;

    public sealed record Exists(string Key, bool Present) : QueryPredicate;

    public sealed record In(string Key, IReadOnlyList<string> Values) : QueryPredicate;

    public sealed record HasPrefix(string Key, string Prefix) : QueryPredicate;
}
