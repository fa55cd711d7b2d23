using System.Text.Json;
using System.Text.Json.Nodes;

namespace IdpServerless.Functions.Templates.Expressions;

/// <summary>
/// The fixed set of filters expressions may use: Backstage's scaffolder filters (<c>parseRepoUrl</c>,
/// <c>parseEntityRef</c>, <c>pick</c>, <c>projectSlug</c>) and a few Nunjucks built-ins. No other code is reachable.
/// </summary>
public static class TemplateFilters
{
    private const int MaxTextLength = 1024 * 1024;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Every filter name, for documentation and the actions listing.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["parseRepoUrl", "parseEntityRef", "pick", "projectSlug", "lower", "upper", "trim", "replace", "dump", "json", "default", "join", "length", "first", "last", "capitalize", "string"];

    internal static JsonNode? Apply(string name, JsonNode? value, IReadOnlyList<JsonNode?> args, string source)
    {
        switch (name)
        {
            case "lower":
                return Text(ExpressionEvaluator.ToText(value).ToLowerInvariant());
            case "upper":
                return Text(ExpressionEvaluator.ToText(value).ToUpperInvariant());
            case "trim":
                return Text(ExpressionEvaluator.ToText(value).Trim());
            case "capitalize":
                var s = ExpressionEvaluator.ToText(value).ToLowerInvariant();
                return Text(s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..]);
            case "string":
                return Text(ExpressionEvaluator.ToText(value));
            case "replace":
                Require(args, 2, name, source);
                var from = ExpressionEvaluator.ToText(args[0]);
                var text = ExpressionEvaluator.ToText(value);
                return Text(from.Length == 0 ? text : text.Replace(from, ExpressionEvaluator.ToText(args[1]), StringComparison.Ordinal));
            case "dump":
            case "json":
                var indent = args.Count > 0 && ExpressionEvaluator.IsTruthy(args[0]);
                return Text(value is null ? "null" : value.ToJsonString(indent ? Indented : JsonSerializerOptions.Default));
            case "default":
                return value is null || (args.Count > 1 && ExpressionEvaluator.IsTruthy(args[1]) && !ExpressionEvaluator.IsTruthy(value))
                    ? ExpressionEvaluator.Detach(args.Count > 0 ? args[0] : null)
                    : value;
            case "join":
                var separator = args.Count > 0 ? ExpressionEvaluator.ToText(args[0]) : ",";
                return value is JsonArray list ? Text(string.Join(separator, list.Select(ExpressionEvaluator.ToText))) : Text(ExpressionEvaluator.ToText(value));
            case "length":
                return JsonValue.Create(value switch
                {
                    JsonArray a => a.Count,
                    JsonObject o => o.Count,
                    null => 0,
                    _ => ExpressionEvaluator.ToText(value).Length,
                });
            case "first":
                return value is JsonArray { Count: > 0 } fa ? fa[0] : null;
            case "last":
                return value is JsonArray { Count: > 0 } la ? la[^1] : null;
            case "pick":
                Require(args, 1, name, source);
                return value is JsonObject o2 ? o2[ExpressionEvaluator.ToText(args[0])] : null;
            case "parseRepoUrl":
                return ParseRepoUrl(ExpressionEvaluator.ToText(value), source);
            case "projectSlug":
                var repo = ParseRepoUrl(ExpressionEvaluator.ToText(value), source);
                var owner = ExpressionEvaluator.ToText(repo["owner"] ?? repo["organization"] ?? repo["workspace"] ?? repo["project"]);
                return Text($"{owner}/{ExpressionEvaluator.ToText(repo["repo"])}");
            case "parseEntityRef":
                return ParseEntityRef(ExpressionEvaluator.ToText(value), args.Count > 0 ? args[0] as JsonObject : null, source);
            default:
                throw new TemplateExpressionException($"Cannot evaluate '{source}': unknown filter '{name}' (known: {string.Join(", ", Names)}).");
        }
    }

    /// <summary>
    /// Backstage's RepoUrlPicker value <c>host?owner=o&amp;repo=r</c> (also <c>organization</c>, <c>workspace</c>,
    /// <c>project</c>) as an object <c>{host, owner, repo, ...}</c>.
    /// </summary>
    public static JsonObject ParseRepoUrl(string repoUrl, string? source = null)
    {
        var q = repoUrl.IndexOf('?', StringComparison.Ordinal);
        if (q <= 0)
        {
            throw new TemplateExpressionException($"Cannot evaluate '{source ?? repoUrl}': '{repoUrl}' is not a repository URL of the form host?owner=o&repo=r.");
        }

        var result = new JsonObject { ["host"] = repoUrl[..q] };
        foreach (var pair in repoUrl[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            if (key is "owner" or "repo" or "organization" or "workspace" or "project")
            {
                result[key] = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
        }

        if (result["repo"] is null)
        {
            throw new TemplateExpressionException($"Cannot evaluate '{source ?? repoUrl}': '{repoUrl}' names no repo.");
        }

        return result;
    }

    /// <summary>Backstage's <c>[kind:][namespace/]name</c> as <c>{kind, namespace, name}</c> with defaults from <paramref name="context"/>.</summary>
    public static JsonObject ParseEntityRef(string entityRef, JsonObject? context = null, string? source = null)
    {
        var text = entityRef.Trim();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var kind = colon > 0 ? text[..colon] : context?["defaultKind"]?.ToString();
        var rest = colon > 0 ? text[(colon + 1)..] : text;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var ns = slash > 0 ? rest[..slash] : context?["defaultNamespace"]?.ToString() ?? "default";
        var name = slash > 0 ? rest[(slash + 1)..] : rest;
        if (name.Length == 0 || kind is null || kind.Length == 0)
        {
            throw new TemplateExpressionException($"Cannot evaluate '{source ?? entityRef}': '{entityRef}' is not an entity ref (kind:namespace/name; give defaultKind for refs without a kind).");
        }

        return new JsonObject { ["kind"] = kind, ["namespace"] = ns, ["name"] = name };
    }

    private static JsonValue Text(string s) =>
        s.Length > MaxTextLength ? throw new TemplateExpressionException($"A filter produced more than {MaxTextLength} characters.") : JsonValue.Create(s);

    private static void Require(IReadOnlyList<JsonNode?> args, int count, string name, string source)
    {
        if (args.Count < count)
        {
            throw new TemplateExpressionException($"Cannot evaluate '{source}': filter '{name}' needs {count} argument(s).");
        }
    }
}
