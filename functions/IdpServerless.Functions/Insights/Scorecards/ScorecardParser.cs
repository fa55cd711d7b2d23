using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IdpServerless.Functions.Catalog.Model;

namespace IdpServerless.Functions.Insights.Scorecards;

/// <summary>
/// Reads a <c>Scorecard</c> entity's spec (format in docs/architecture.md, "Scorecards") and reports every problem
/// keyed by its field path (<c>spec.rules[2].max</c>), as the catalog's validator does for the built-in kinds.
/// </summary>
public static class ScorecardParser
{
    public const string Kind = "Scorecard";
    public const string ApiVersion = "idpserverless.io/v1alpha1";
    public const int MaxRules = 100;
    public const int MaxLevels = 10;
    private static readonly string[] Strategies = ["rolling", "blueGreen", "canary"];
    private static readonly HashSet<string> RuleKeys = ["id", "title", "type", "path", "key", "operator", "value", "values", "pattern", "relation", "targetKind", "min", "targetsExist", "environment", "withinDays", "days", "max", "strategy", "weight", "description"];
    private static readonly HashSet<string> FilterKeys = ["kind", "type", "lifecycle", "namespace", "tags", "owner"];

    /// <summary>Problems of a Scorecard's spec (empty when it is valid).</summary>
    public static List<EntityProblem> Validate(JsonNode? spec)
    {
        var problems = new List<EntityProblem>();
        _ = ParseSpec(spec, "scorecard:default/x", "x", null, null, problems);
        return problems;
    }

    /// <summary>The definition of a stored Scorecard entity body, or null (with problems) when it is not valid.</summary>
    public static ScorecardDefinition? Parse(byte[] body, string refKey, List<EntityProblem> problems)
    {
        var node = JsonNode.Parse(body);
        var metadata = node?["metadata"];
        var name = EntityValidator.AsString(metadata?["name"]) ?? refKey;
        return ParseSpec(node?["spec"], refKey, EntityValidator.AsString(metadata?["title"]) ?? name, EntityValidator.AsString(metadata?["description"]), name, problems);
    }

    private static ScorecardDefinition? ParseSpec(JsonNode? specNode, string refKey, string title, string? description, string? name, List<EntityProblem> problems)
    {
        if (specNode is not JsonObject spec)
        {
            problems.Add(new("spec", "spec must be an object with rules and levels"));
            return null;
        }

        var before = problems.Count;
        var filter = ParseFilter(spec["filter"], problems);
        var rules = new List<ScorecardRule>();
        if (spec["rules"] is not JsonArray ruleNodes || ruleNodes.Count == 0)
        {
            problems.Add(new("spec.rules", "spec.rules must be a non-empty list of rules"));
        }
        else if (ruleNodes.Count > MaxRules)
        {
            problems.Add(new("spec.rules", $"at most {MaxRules} rules, found {ruleNodes.Count}"));
        }
        else
        {
            for (var i = 0; i < ruleNodes.Count; i++)
            {
                if (ParseRule(ruleNodes[i], $"spec.rules[{i}]", problems) is { } rule)
                {
                    if (rules.Any(r => r.Id == rule.Id))
                    {
                        problems.Add(new($"spec.rules[{i}].id", $"rule id \"{rule.Id}\" is used twice"));
                        continue;
                    }

                    rules.Add(rule);
                }
            }
        }

        var levels = ParseLevels(spec["levels"], rules, spec["rules"] is JsonArray, problems);
        var owner = spec["owner"] is null ? null : EntityValidator.AsString(spec["owner"]);
        if (spec["owner"] is not null && owner is not { Length: > 0 })
        {
            problems.Add(new("spec.owner", "spec.owner must be an entity reference"));
        }

        return problems.Count > before ? null : new ScorecardDefinition(refKey, name ?? refKey, title, description, owner, filter, rules, levels);
    }

    private static ScorecardFilter ParseFilter(JsonNode? node, List<EntityProblem> problems)
    {
        if (node is null)
        {
            return new ScorecardFilter(["component"], [], [], [], [], []);
        }

        if (node is not JsonObject filter)
        {
            problems.Add(new("spec.filter", "spec.filter must be an object (kind, type, lifecycle, namespace, tags, owner)"));
            return new ScorecardFilter([], [], [], [], [], []);
        }

        foreach (var (key, _) in filter)
        {
            if (!FilterKeys.Contains(key))
            {
                problems.Add(new($"spec.filter.{key}", $"unknown filter \"{key}\"; a filter has {string.Join(", ", FilterKeys)}"));
            }
        }

        var owners = Strings(filter["owner"], "spec.filter.owner", problems).Select(o =>
        {
            try
            {
                return EntityRef.Parse(o, "Group", EntityRef.DefaultNamespace).ToString();
            }
            catch (FormatException e)
            {
                problems.Add(new("spec.filter.owner", e.Message));
                return o;
            }
        }).ToList();
        return new ScorecardFilter(
            Lower(Strings(filter["kind"], "spec.filter.kind", problems)),
            Lower(Strings(filter["type"], "spec.filter.type", problems)),
            Lower(Strings(filter["lifecycle"], "spec.filter.lifecycle", problems)),
            Lower(Strings(filter["namespace"], "spec.filter.namespace", problems)),
            Lower(Strings(filter["tags"], "spec.filter.tags", problems)),
            owners);
    }

    private static ScorecardRule? ParseRule(JsonNode? node, string path, List<EntityProblem> problems)
    {
        if (node is not JsonObject rule)
        {
            problems.Add(new(path, "a rule must be an object with id and type"));
            return null;
        }

        var before = problems.Count;
        foreach (var (key, _) in rule)
        {
            if (!RuleKeys.Contains(key))
            {
                problems.Add(new($"{path}.{key}", $"unknown rule field \"{key}\""));
            }
        }

        var id = EntityValidator.AsString(rule["id"]);
        if (id is null || !EntityNames.IsValidObjectName(id))
        {
            problems.Add(new($"{path}.id", rule["id"] is null ? "id is required" : $"id must be {EntityNames.NameExpectation}"));
        }

        var type = EntityValidator.AsString(rule["type"]);
        if (type is null || !RuleTypes.All.Contains(type, StringComparer.Ordinal))
        {
            problems.Add(new($"{path}.type", (rule["type"] is null ? "type is required" : $"unknown rule type {Show(rule["type"])}") + $"; one of {string.Join(", ", RuleTypes.All)}"));
            return null;
        }

        var title = EntityValidator.AsString(rule["title"]) ?? id ?? type;
        var weight = Number(rule, "weight", path, 1, 0, 100, problems);
        var result = new ScorecardRule(id ?? string.Empty, title, type, Weight: weight);
        switch (type)
        {
            case RuleTypes.Field:
                result = Comparison(rule, path, "path", result, problems);
                break;
            case RuleTypes.Annotation:
                result = Comparison(rule, path, "key", result, problems);
                break;
            case RuleTypes.Relation:
                var relation = EntityValidator.AsString(rule["relation"]);
                var known = typeof(RelationTypes).GetFields().Select(f => (string)f.GetRawConstantValue()!).ToList();
                if (relation is null || !known.Contains(relation, StringComparer.Ordinal))
                {
                    problems.Add(new($"{path}.relation", $"relation must be one of {string.Join(", ", known)}"));
                }

                var targetKind = EntityValidator.AsString(rule["targetKind"])?.ToLowerInvariant();
                if (rule["targetKind"] is not null && (targetKind is null || EntityKinds.FindIgnoreCase(targetKind) is null))
                {
                    problems.Add(new($"{path}.targetKind", $"targetKind must be a kind ({string.Join(", ", EntityKinds.All.Select(k => k.Kind))})"));
                }

                result = result with
                {
                    RelationType = relation,
                    TargetKind = targetKind,
                    Min = (int)Number(rule, "min", path, 1, 1, 1000, problems, integer: true),
                    TargetsExist = Bool(rule, "targetsExist", path, problems),
                };
                break;
            case RuleTypes.Environments:
                result = result with { Environment = OptionalString(rule, "environment", path, problems) };
                break;
            case RuleTypes.DeployedRecently:
                result = result with { Environment = OptionalString(rule, "environment", path, problems), Days = (int)Number(rule, "withinDays", path, 30, 1, 365, problems, integer: true) };
                break;
            case RuleTypes.ChangeFailRate:
                if (rule["max"] is null)
                {
                    problems.Add(new($"{path}.max", "max is required: the highest change fail rate that passes, from 0 to 1"));
                }

                result = result with
                {
                    Environment = OptionalString(rule, "environment", path, problems),
                    Days = (int)Number(rule, "days", path, 30, 1, 365, problems, integer: true),
                    Max = Number(rule, "max", path, 0, 0, 1, problems),
                };
                break;
            case RuleTypes.Strategy:
                var strategy = EntityValidator.AsString(rule["strategy"]);
                if (strategy is null || !Strategies.Contains(strategy, StringComparer.Ordinal))
                {
                    problems.Add(new($"{path}.strategy", $"strategy must be one of {string.Join(", ", Strategies)}"));
                }

                result = result with { Environment = OptionalString(rule, "environment", path, problems), StrategyType = strategy };
                break;
        }

        return problems.Count > before ? null : result;
    }

    private static ScorecardRule Comparison(JsonObject rule, string path, string subject, ScorecardRule result, List<EntityProblem> problems)
    {
        var target = EntityValidator.AsString(rule[subject]);
        if (target is not { Length: > 0 })
        {
            problems.Add(new($"{path}.{subject}", $"{subject} is required for a {result.Type} rule"));
        }
        else if (subject == "path" && target.Split('.').Any(p => p.Length == 0))
        {
            problems.Add(new($"{path}.path", "path must be dotted field names, e.g. spec.lifecycle"));
        }

        var op = EntityValidator.AsString(rule["operator"]) ?? (rule["pattern"] is not null ? RuleOperators.Matches : rule["values"] is not null ? RuleOperators.In : rule["value"] is not null ? RuleOperators.Equal : RuleOperators.Exists);
        if (!RuleOperators.All.Contains(op, StringComparer.Ordinal))
        {
            problems.Add(new($"{path}.operator", $"operator must be one of {string.Join(", ", RuleOperators.All)}"));
        }

        IReadOnlyList<string>? values = null;
        Regex? pattern = null;
        switch (op)
        {
            case RuleOperators.Equal:
                values = EntityValidator.AsString(rule["value"]) is { } v ? [v] : null;
                if (values is null)
                {
                    problems.Add(new($"{path}.value", "value (a string) is required with operator equals"));
                }

                break;
            case RuleOperators.In:
                values = Strings(rule["values"], $"{path}.values", problems);
                if (values.Count == 0)
                {
                    problems.Add(new($"{path}.values", "values (a list of strings) is required with operator in"));
                }

                break;
            case RuleOperators.Matches:
                var text = EntityValidator.AsString(rule["pattern"]);
                if (text is null)
                {
                    problems.Add(new($"{path}.pattern", "pattern (a regular expression) is required with operator matches"));
                    break;
                }

                try
                {
                    pattern = new Regex(text, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
                }
                catch (ArgumentException e)
                {
                    problems.Add(new($"{path}.pattern", $"not a valid regular expression: {e.Message}"));
                }

                break;
        }

        return result with { Path = target, Operator = op, Values = values, Pattern = pattern };
    }

    private static List<ScorecardLevel> ParseLevels(JsonNode? node, List<ScorecardRule> rules, bool rulesGiven, List<EntityProblem> problems)
    {
        var levels = new List<ScorecardLevel>();
        if (node is not JsonArray array || array.Count == 0)
        {
            problems.Add(new("spec.levels", "spec.levels must be a non-empty list of levels (lowest first), each with a name and rules"));
            return levels;
        }

        if (array.Count > MaxLevels)
        {
            problems.Add(new("spec.levels", $"at most {MaxLevels} levels, found {array.Count}"));
            return levels;
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"spec.levels[{i}]";
            if (array[i] is not JsonObject level)
            {
                problems.Add(new(path, "a level must be an object with a name and rules"));
                continue;
            }

            var name = EntityValidator.AsString(level["name"]);
            if (name is not { Length: > 0 and <= 63 })
            {
                problems.Add(new($"{path}.name", "name is required (at most 63 characters)"));
            }
            else if (levels.Any(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add(new($"{path}.name", $"level \"{name}\" is declared twice"));
            }

            var ids = Strings(level["rules"], $"{path}.rules", problems);
            if (ids.Count == 0 && level["rules"] is null)
            {
                problems.Add(new($"{path}.rules", "rules (a list of rule ids) is required"));
            }

            for (var j = 0; j < ids.Count; j++)
            {
                if (rulesGiven && !rules.Any(r => r.Id == ids[j]) && problems.All(p => !p.Field.StartsWith("spec.rules", StringComparison.Ordinal)))
                {
                    problems.Add(new($"{path}.rules[{j}]", $"no rule has id \"{ids[j]}\""));
                }
                else if (!used.Add(ids[j]))
                {
                    problems.Add(new($"{path}.rules[{j}]", $"rule \"{ids[j]}\" already belongs to a level"));
                }
            }

            levels.Add(new ScorecardLevel(name ?? string.Empty, ids));
        }

        return levels;
    }

    private static List<string> Strings(JsonNode? node, string path, List<EntityProblem> problems)
    {
        switch (node)
        {
            case null:
                return [];
            case JsonArray array:
                var list = new List<string>();
                for (var i = 0; i < array.Count; i++)
                {
                    if (EntityValidator.AsString(array[i]) is { Length: > 0 } s)
                    {
                        list.Add(s);
                    }
                    else
                    {
                        problems.Add(new($"{path}[{i}]", $"must be a non-empty string, found {Show(array[i])}"));
                    }
                }

                return list;
            default:
                if (EntityValidator.AsString(node) is { Length: > 0 } one)
                {
                    return [one];
                }

                problems.Add(new(path, $"must be a string or a list of strings, found {Show(node)}"));
                return [];
        }
    }

    private static List<string> Lower(List<string> values) => values.Select(v => v.ToLowerInvariant()).ToList();

    private static string? OptionalString(JsonObject rule, string key, string path, List<EntityProblem> problems)
    {
        if (rule[key] is null)
        {
            return null;
        }

        if (EntityValidator.AsString(rule[key]) is { Length: > 0 } s)
        {
            return s;
        }

        problems.Add(new($"{path}.{key}", $"{key} must be a non-empty string, found {Show(rule[key])}"));
        return null;
    }

    private static double Number(JsonObject rule, string key, string path, double fallback, double min, double max, List<EntityProblem> problems, bool integer = false)
    {
        var node = rule[key];
        if (node is null)
        {
            return fallback;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= min && d <= max && (!integer || d == Math.Floor(d)))
        {
            return d;
        }

        var what = integer ? "a whole number" : "a number";
        problems.Add(new($"{path}.{key}", $"{key} must be {what} from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, found {Show(node)}"));
        return fallback;
    }

    private static bool Bool(JsonObject rule, string key, string path, List<EntityProblem> problems)
    {
        var node = rule[key];
        if (node is null)
        {
            return false;
        }

        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetValue<bool>();
        }

        problems.Add(new($"{path}.{key}", $"{key} must be true or false, found {Show(node)}"));
        return false;
    }

    private static string Show(JsonNode? node) => node is null ? "null" : node.ToJsonString() is { Length: > 60 } t ? t[..57] + "..." : node.ToJsonString();
}
