namespace IdpServerless.Functions.Insights.Scorecards;

/// <summary>The rule types a scorecard may use (<c>spec.rules[].type</c>).</summary>
public static class RuleTypes
{
    /// <summary>An entity field (<c>path</c>, dotted) exists / equals / is one of / matches.</summary>
    public const string Field = "field";

    /// <summary>An annotation (<c>key</c>) exists / equals / is one of / matches.</summary>
    public const string Annotation = "annotation";

    /// <summary>At least <c>min</c> relations of <c>relation</c> (optionally to <c>targetKind</c>, optionally all targets existing).</summary>
    public const string Relation = "relation";

    /// <summary>Every owner (spec.owner) is a Group or User the catalog holds.</summary>
    public const string OwnerExists = "ownerExists";

    /// <summary>The <c>backstage.io/techdocs-ref</c> annotation is set.</summary>
    public const string TechDocs = "techDocs";

    /// <summary>The <c>idp.dev/environments</c> annotation declares environments (optionally including <c>environment</c>).</summary>
    public const string Environments = "environments";

    /// <summary>A successful deployment to <c>environment</c> (default: production) within <c>withinDays</c>.</summary>
    public const string DeployedRecently = "deployedRecently";

    /// <summary>DORA's change fail rate in <c>environment</c> over <c>days</c> is at most <c>max</c> (with at least one deployment).</summary>
    public const string ChangeFailRate = "changeFailRate";

    /// <summary><c>environment</c>'s declared delivery strategy is <c>strategy</c> (rolling, blueGreen, canary).</summary>
    public const string Strategy = "strategy";

    public static IReadOnlyList<string> All { get; } = [Field, Annotation, Relation, OwnerExists, TechDocs, Environments, DeployedRecently, ChangeFailRate, Strategy];

    /// <summary>Rules that read deployment history, so a finished deployment re-evaluates them.</summary>
    public static bool ReadsDeliveries(string type) => type is DeployedRecently or ChangeFailRate;
}

/// <summary>Comparisons of field and annotation rules.</summary>
public static class RuleOperators
{
    public const string Exists = "exists";
    public const string Equal = "equals";
    public const string In = "in";
    public const string Matches = "matches";

    public static IReadOnlyList<string> All { get; } = [Exists, Equal, In, Matches];
}

/// <summary>
/// One rule, as declared. Which members are set depends on <see cref="Type"/>; the parser guarantees the ones a type
/// needs are present and valid (so evaluation never meets a malformed rule).
/// </summary>
public sealed record ScorecardRule(
    string Id,
    string Title,
    string Type,
    string? Path = null,
    string? Operator = null,
    IReadOnlyList<string>? Values = null,
    System.Text.RegularExpressions.Regex? Pattern = null,
    string? RelationType = null,
    string? TargetKind = null,
    int Min = 1,
    bool TargetsExist = false,
    string? Environment = null,
    int Days = 30,
    double? Max = null,
    string? StrategyType = null,
    double Weight = 1);

/// <summary>A level: its name and the ids of the rules an entity must pass (with every lower level's) to reach it.</summary>
public sealed record ScorecardLevel(string Name, IReadOnlyList<string> Rules);

/// <summary>Which entities a scorecard applies to; every condition given must hold (values within one are alternatives).</summary>
public sealed record ScorecardFilter(
    IReadOnlyList<string> Kinds,
    IReadOnlyList<string> Types,
    IReadOnlyList<string> Lifecycles,
    IReadOnlyList<string> Namespaces,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> Owners);

/// <summary>A parsed scorecard: the entity it comes from, its filter, rules and levels (lowest first).</summary>
public sealed record ScorecardDefinition(
    string Ref,
    string Name,
    string Title,
    string? Description,
    string? Owner,
    ScorecardFilter Filter,
    IReadOnlyList<ScorecardRule> Rules,
    IReadOnlyList<ScorecardLevel> Levels)
{
    /// <summary>True when some rule reads deployment history.</summary>
    public bool ReadsDeliveries => Rules.Any(r => RuleTypes.ReadsDeliveries(r.Type));

    /// <summary>True when some rule looks at other entities (owner existence, relation targets).</summary>
    public bool ReadsOtherEntities => Rules.Any(r => r.Type == RuleTypes.OwnerExists || (r.Type == RuleTypes.Relation && r.TargetsExist));

    /// <summary>The longest history a delivery rule of this scorecard looks at, in days.</summary>
    public int DeliveryDays => Rules.Where(r => RuleTypes.ReadsDeliveries(r.Type)).Select(r => r.Days).DefaultIfEmpty(0).Max();
}
