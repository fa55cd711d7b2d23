using System.Runtime.CompilerServices;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Functions.Insights.Scorecards;

/// <summary>Production deployments of components, as delivery rules read them.</summary>
public interface IDeliveryHistory
{
    /// <summary>The component's finished and running deployments to every environment (any order), or empty.</summary>
    IReadOnlyList<DeploymentRecord> For(string componentRef);
}

/// <summary>What a rule may look at besides the entity: the rest of the catalog, deployments and the time.</summary>
public sealed record ScorecardContext(CatalogIndex Index, IDeliveryHistory Deliveries, DeploymentOptions DeploymentOptions, DateTimeOffset Now);

/// <summary>One rule's outcome for one entity; <see cref="Detail"/> says why it failed (or what it measured).</summary>
public sealed record RuleOutcome(string Rule, bool Passed, string? Detail);

/// <summary>
/// An entity's result on one scorecard: the highest level whose rules (and every lower level's) all pass, or null;
/// the weighted share of passed rules (0-100); and the rules that failed.
/// </summary>
public sealed record EntityScore(string Entity, string? Level, int LevelRank, double Score, IReadOnlyList<RuleOutcome> Outcomes)
{
    public IEnumerable<string> FailedRules => Outcomes.Where(o => !o.Passed).Select(o => o.Rule);
}

/// <summary>Evaluates scorecards' rules over catalog entities. Pure: the same inputs give the same result.</summary>
public static class ScorecardEngine
{
    private static readonly ConditionalWeakTable<EntityRecord, ParsedDelivery> DeliveryCache = new();

    /// <summary>True when the scorecard's filter selects the entity (scorecards never score themselves).</summary>
    public static bool AppliesTo(ScorecardDefinition card, EntityRecord entity)
    {
        var f = card.Filter;
        if (entity.Kind == ScorecardParser.Kind)
        {
            return false;
        }

        if (f.Kinds.Count > 0 && !f.Kinds.Contains(entity.Kind.ToLowerInvariant()))
        {
            return false;
        }

        if (f.Types.Count > 0 && (entity.SpecType is not { } type || !f.Types.Contains(type.ToLowerInvariant())))
        {
            return false;
        }

        if (f.Lifecycles.Count > 0 && (entity.FirstValue("spec.lifecycle") is not { } lifecycle || !f.Lifecycles.Contains(lifecycle)))
        {
            return false;
        }

        if (f.Namespaces.Count > 0 && !f.Namespaces.Contains(entity.Namespace.ToLowerInvariant()))
        {
            return false;
        }

        if (f.Tags.Count > 0 && !entity.Tags.Any(t => f.Tags.Contains(t.ToLowerInvariant())))
        {
            return false;
        }

        return f.Owners.Count == 0 || entity.Relations.Any(r => r.Type == RelationTypes.OwnedBy && f.Owners.Contains(r.TargetRef));
    }

    /// <summary>Every rule of the scorecard for the entity, its level and score.</summary>
    public static EntityScore Evaluate(ScorecardDefinition card, EntityRecord entity, ScorecardContext context)
    {
        var outcomes = new RuleOutcome[card.Rules.Count];
        double total = 0, passed = 0;
        for (var i = 0; i < card.Rules.Count; i++)
        {
            var rule = card.Rules[i];
            outcomes[i] = EvaluateRule(rule, entity, context);
            total += rule.Weight;
            if (outcomes[i].Passed)
            {
                passed += rule.Weight;
            }
        }

        string? level = null;
        var rank = -1;
        for (var l = 0; l < card.Levels.Count; l++)
        {
            var ok = true;
            foreach (var id in card.Levels[l].Rules)
            {
                var index = IndexOf(card.Rules, id);
                if (index < 0 || !outcomes[index].Passed)
                {
                    ok = false;
                    break;
                }
            }

            if (!ok)
            {
                break;
            }

            level = card.Levels[l].Name;
            rank = l;
        }

        var score = total == 0 ? 0 : Math.Round(100 * passed / total, 1);
        return new EntityScore(entity.RefKey, level, rank, score, outcomes);
    }

    /// <summary>One rule for one entity.</summary>
    public static RuleOutcome EvaluateRule(ScorecardRule rule, EntityRecord entity, ScorecardContext context)
    {
        switch (rule.Type)
        {
            case RuleTypes.Field:
                return Compare(rule, FieldValues(entity, rule.Path!.ToLowerInvariant()), $"field {rule.Path}");
            case RuleTypes.Annotation:
                return Compare(rule, entity.Annotations.TryGetValue(rule.Path!, out var a) ? [a] : [], $"annotation {rule.Path}");
            case RuleTypes.Relation:
                return Relation(rule, entity, context.Index);
            case RuleTypes.OwnerExists:
                return OwnerExists(rule, entity, context.Index);
            case RuleTypes.TechDocs:
                return entity.Annotations.TryGetValue(Docs.DocsKeys.TechDocsRef, out var docs) && !string.IsNullOrWhiteSpace(docs)
                    ? new(rule.Id, true, null)
                    : new(rule.Id, false, $"no {Docs.DocsKeys.TechDocsRef} annotation");
            case RuleTypes.Environments:
                return Environments(rule, entity, context);
            case RuleTypes.Strategy:
                return Strategy(rule, entity, context);
            case RuleTypes.DeployedRecently:
                return DeployedRecently(rule, entity, context);
            case RuleTypes.ChangeFailRate:
                return ChangeFailRate(rule, entity, context);
            default:
                return new(rule.Id, false, $"unknown rule type {rule.Type}");
        }
    }

    private static int IndexOf(IReadOnlyList<ScorecardRule> rules, string id)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The values of a dotted field path, lowercased as the index keeps them (a list's items each count).</summary>
    private static List<string> FieldValues(EntityRecord entity, string path)
    {
        var values = new List<string>();
        switch (path)
        {
            case "kind":
                values.Add(entity.Kind.ToLowerInvariant());
                return values;
            case "metadata.name":
                values.Add(entity.SearchName);
                return values;
            case "metadata.namespace":
                values.Add(entity.Namespace.ToLowerInvariant());
                return values;
        }

        foreach (var (key, value, _) in entity.Pairs)
        {
            if (key == path && value is not null)
            {
                values.Add(value);
            }
        }

        return values;
    }

    private static RuleOutcome Compare(ScorecardRule rule, List<string> values, string subject)
    {
        if (values.Count == 0)
        {
            return new(rule.Id, false, $"{subject} is not set");
        }

        switch (rule.Operator)
        {
            case RuleOperators.Exists:
                return values.Any(v => v.Length > 0) ? new(rule.Id, true, null) : new(rule.Id, false, $"{subject} is empty");
            case RuleOperators.Equal:
            case RuleOperators.In:
                return values.Any(v => rule.Values!.Any(x => string.Equals(v, x, StringComparison.OrdinalIgnoreCase)))
                    ? new(rule.Id, true, null)
                    : new(rule.Id, false, $"{subject} is {Show(values)}, not {(rule.Values!.Count == 1 ? rule.Values[0] : "one of " + string.Join(", ", rule.Values))}");
            case RuleOperators.Matches:
                try
                {
                    return values.Any(v => rule.Pattern!.IsMatch(v))
                        ? new(rule.Id, true, null)
                        : new(rule.Id, false, $"{subject} is {Show(values)}, which does not match {rule.Pattern}");
                }
                catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
                {
                    return new(rule.Id, false, $"{subject}: the pattern took too long to match");
                }

            default:
                return new(rule.Id, false, $"unknown operator {rule.Operator}");
        }
    }

    private static string Show(List<string> values) => values.Count == 1 ? $"\"{values[0]}\"" : "[" + string.Join(", ", values.Select(v => $"\"{v}\"")) + "]";

    private static RuleOutcome Relation(ScorecardRule rule, EntityRecord entity, CatalogIndex index)
    {
        var prefix = rule.TargetKind is null ? null : rule.TargetKind + ":";
        var count = 0;
        var missing = new List<string>();
        foreach (var r in entity.Relations)
        {
            if (r.Type != rule.RelationType || (prefix is not null && !r.TargetRef.StartsWith(prefix, StringComparison.Ordinal)))
            {
                continue;
            }

            if (rule.TargetsExist && index.Get(r.TargetRef) is null)
            {
                missing.Add(r.TargetRef);
                continue;
            }

            count++;
        }

        if (count >= rule.Min)
        {
            return new(rule.Id, true, null);
        }

        var what = $"{rule.RelationType}{(rule.TargetKind is null ? string.Empty : " " + rule.TargetKind)}";
        return new(rule.Id, false, missing.Count > 0
            ? $"{count} {what} relation(s) to existing entities, {rule.Min} needed; not in the catalog: {string.Join(", ", missing.Take(5))}"
            : $"{count} {what} relation(s), {rule.Min} needed");
    }

    private static RuleOutcome OwnerExists(ScorecardRule rule, EntityRecord entity, CatalogIndex index)
    {
        var owners = entity.Declared.Where(d => d.Type == RelationTypes.OwnedBy).Select(d => d.TargetRef).ToList();
        if (owners.Count == 0)
        {
            return new(rule.Id, false, "no owner (spec.owner)");
        }

        foreach (var owner in owners)
        {
            if (index.Get(owner) is not { Kind: "Group" or "User" })
            {
                return new(rule.Id, false, $"owner {owner} is not a group or user in the catalog");
            }
        }

        return new(rule.Id, true, null);
    }

    private sealed record ParsedDelivery(ComponentDelivery? Delivery, string? Error);

    private static ParsedDelivery DeliveryOf(EntityRecord entity, ScorecardContext context) =>
        DeliveryCache.GetValue(entity, e =>
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var delivery = EnvironmentParser.Parse(e.RefKey, e.Annotations, context.DeploymentOptions, errors);
            return errors.Count > 0
                ? new ParsedDelivery(null, errors.Select(x => $"{x.Key}: {string.Join("; ", x.Value)}").First())
                : new ParsedDelivery(delivery, delivery is null ? $"no environments declared ({EnvironmentParser.EnvironmentsAnnotation})" : null);
        });

    private static RuleOutcome Environments(ScorecardRule rule, EntityRecord entity, ScorecardContext context)
    {
        var parsed = DeliveryOf(entity, context);
        if (parsed.Delivery is not { } delivery)
        {
            return new(rule.Id, false, parsed.Error);
        }

        return rule.Environment is null || delivery.Find(rule.Environment) is not null
            ? new(rule.Id, true, null)
            : new(rule.Id, false, $"declares {string.Join(", ", delivery.Environments.Select(x => x.Name))}, not {rule.Environment}");
    }

    private static RuleOutcome Strategy(ScorecardRule rule, EntityRecord entity, ScorecardContext context)
    {
        var parsed = DeliveryOf(entity, context);
        if (parsed.Delivery is not { } delivery)
        {
            return new(rule.Id, false, parsed.Error);
        }

        var env = rule.Environment is null ? delivery.Environments.FirstOrDefault(x => DoraCalculator.IsProduction(x.Name)) : delivery.Find(rule.Environment);
        if (env is null)
        {
            return new(rule.Id, false, rule.Environment is null ? "declares no production environment" : $"declares no environment {rule.Environment}");
        }

        return env.Strategy.Type == rule.StrategyType
            ? new(rule.Id, true, null)
            : new(rule.Id, false, $"{env.Name} releases with {env.Strategy.Type}, not {rule.StrategyType}");
    }

    private static bool InEnvironment(DeploymentRecord d, string? environment) =>
        environment is null ? DoraCalculator.IsProduction(d.Environment) : string.Equals(d.Environment, environment, StringComparison.OrdinalIgnoreCase);

    private static RuleOutcome DeployedRecently(ScorecardRule rule, EntityRecord entity, ScorecardContext context)
    {
        var since = context.Now.AddDays(-rule.Days);
        DateTimeOffset? last = null;
        foreach (var d in context.Deliveries.For(entity.RefKey))
        {
            if (d.Status == DeploymentStatuses.Succeeded && InEnvironment(d, rule.Environment) && (d.FinishedAt ?? d.UpdatedAt) is var at && (last is null || at > last))
            {
                last = at;
            }
        }

        var where = rule.Environment ?? "production";
        return last is { } l && l >= since
            ? new(rule.Id, true, $"last deployed to {where} {l:yyyy-MM-dd}")
            : new(rule.Id, false, last is { } old ? $"last deployed to {where} {old:yyyy-MM-dd}, more than {rule.Days} days ago" : $"never deployed to {where}");
    }

    private static RuleOutcome ChangeFailRate(ScorecardRule rule, EntityRecord entity, ScorecardContext context)
    {
        var history = context.Deliveries.For(entity.RefKey);
        var classified = DoraCalculator.Classify(history, rule.Environment);
        var figures = DoraCalculator.Figures(classified, context.Now.AddDays(-rule.Days), context.Now);
        var where = rule.Environment ?? "production";
        if (figures.ChangeFailRate is not { } rate)
        {
            return new(rule.Id, false, $"no deployments to {where} in {rule.Days} days");
        }

        var text = $"change fail rate {rate:0.###} over {figures.Deployments} deployment(s) to {where} in {rule.Days} days";
        return rate <= rule.Max ? new(rule.Id, true, text) : new(rule.Id, false, $"{text}, above {rule.Max:0.###}");
    }
}
