namespace IdpServerless.Functions.Catalog.Model;

/// <summary>The relation types Backstage defines, in pairs (each relation is stored in both directions).</summary>
public static class RelationTypes
{
    public const string OwnedBy = "ownedBy";
    public const string OwnerOf = "ownerOf";
    public const string PartOf = "partOf";
    public const string HasPart = "hasPart";
    public const string DependsOn = "dependsOn";
    public const string DependencyOf = "dependencyOf";
    public const string ProvidesApi = "providesApi";
    public const string ApiProvidedBy = "apiProvidedBy";
    public const string ConsumesApi = "consumesApi";
    public const string ApiConsumedBy = "apiConsumedBy";
    public const string ChildOf = "childOf";
    public const string ParentOf = "parentOf";
    public const string MemberOf = "memberOf";
    public const string HasMember = "hasMember";
}

/// <summary>How a spec field's value is shaped.</summary>
public enum SpecFieldShape
{
    String,
    StringArray,
    Object,
    Array,
    ObjectOrArray,
}

/// <summary>A spec field a kind requires or knows the type of.</summary>
public sealed record SpecField(string Name, SpecFieldShape Shape, bool Required);

/// <summary>
/// A spec field holding entity refs that produce a relation pair: <paramref name="Outgoing"/> from the entity to the
/// target and <paramref name="Incoming"/> back. <paramref name="DefaultKind"/> is the kind a ref without one gets
/// (null: the ref must name its kind, as Backstage requires for dependsOn/dependencyOf).
/// </summary>
public sealed record RelationField(string Field, string? DefaultKind, string Outgoing, string Incoming);

/// <summary>One of the kinds: the apiVersions it accepts, its spec fields and the relations it emits.</summary>
public sealed record KindDefinition(string Kind, IReadOnlyList<string> ApiVersions, IReadOnlyList<SpecField> Fields, IReadOnlyList<RelationField> Relations);

/// <summary>The built-in kinds, as Backstage's JSON schemas and BuiltinKindsEntityProcessor define them, and our own Scorecard.</summary>
public static class EntityKinds
{
    private static readonly string[] Backstage = ["backstage.io/v1alpha1", "backstage.io/v1beta1"];

    private static readonly RelationField Owner = new("owner", "Group", RelationTypes.OwnedBy, RelationTypes.OwnerOf);
    private static readonly RelationField SystemPart = new("system", "System", RelationTypes.PartOf, RelationTypes.HasPart);
    private static readonly RelationField DependsOn = new("dependsOn", null, RelationTypes.DependsOn, RelationTypes.DependencyOf);
    private static readonly RelationField DependencyOf = new("dependencyOf", null, RelationTypes.DependencyOf, RelationTypes.DependsOn);

    public static IReadOnlyList<KindDefinition> All { get; } =
    [
        new("Component", Backstage,
            [Req("type"), Req("lifecycle"), Req("owner"), Opt("system"), Opt("subcomponentOf"), OptArray("providesApis"), OptArray("consumesApis"), OptArray("dependsOn"), OptArray("dependencyOf")],
            [Owner, new("subcomponentOf", "Component", RelationTypes.PartOf, RelationTypes.HasPart),
             new("providesApis", "API", RelationTypes.ProvidesApi, RelationTypes.ApiProvidedBy),
             new("consumesApis", "API", RelationTypes.ConsumesApi, RelationTypes.ApiConsumedBy),
             DependsOn, DependencyOf, SystemPart]),
        new("API", Backstage,
            [Req("type"), Req("lifecycle"), Req("owner"), Req("definition"), Opt("system")],
            [Owner, SystemPart]),
        new("Resource", Backstage,
            [Req("type"), Req("owner"), OptArray("dependsOn"), OptArray("dependencyOf"), Opt("system")],
            [Owner, DependsOn, DependencyOf, SystemPart]),
        new("System", Backstage,
            [Req("owner"), Opt("domain"), Opt("type")],
            [Owner, new("domain", "Domain", RelationTypes.PartOf, RelationTypes.HasPart)]),
        new("Domain", Backstage,
            [Req("owner"), Opt("subdomainOf"), Opt("type")],
            [Owner, new("subdomainOf", "Domain", RelationTypes.PartOf, RelationTypes.HasPart)]),
        new("Group", Backstage,
            [Req("type"), new("children", SpecFieldShape.StringArray, true), Opt("parent"), OptArray("members"), new("profile", SpecFieldShape.Object, false)],
            [new("parent", "Group", RelationTypes.ChildOf, RelationTypes.ParentOf),
             new("children", "Group", RelationTypes.ParentOf, RelationTypes.ChildOf),
             new("members", "User", RelationTypes.HasMember, RelationTypes.MemberOf)]),
        new("User", Backstage,
            [new("memberOf", SpecFieldShape.StringArray, true), new("profile", SpecFieldShape.Object, false)],
            [new("memberOf", "Group", RelationTypes.MemberOf, RelationTypes.HasMember)]),
        new("Location", Backstage,
            [Opt("type"), Opt("target"), OptArray("targets"), Opt("presence")],
            []),
        new("Template", ["scaffolder.backstage.io/v1beta3", "backstage.io/v1beta3"],
            [Req("type"), new("steps", SpecFieldShape.Array, true), new("parameters", SpecFieldShape.ObjectOrArray, false), new("output", SpecFieldShape.Object, false), Opt("owner")],
            [Owner]),

        // Our own kind: scorecards as code (Insights/Scorecards); the spec's rules and levels are checked by ScorecardParser.
        new("Scorecard", ["idpserverless.io/v1alpha1"],
            [new("rules", SpecFieldShape.Array, true), new("levels", SpecFieldShape.Array, true), new("filter", SpecFieldShape.Object, false), Opt("owner")],
            [Owner]),
    ];

    private static readonly Dictionary<string, KindDefinition> ByName = All.ToDictionary(k => k.Kind, StringComparer.Ordinal);
    private static readonly Dictionary<string, KindDefinition> ByLowerName = All.ToDictionary(k => k.Kind, StringComparer.OrdinalIgnoreCase);

    /// <summary>The kind with exactly this spelling (Backstage's kind schemas are case-sensitive), or null.</summary>
    public static KindDefinition? Find(string kind) => ByName.GetValueOrDefault(kind);

    /// <summary>The kind spelled in any case (for hints and for refs, whose kind part is case-insensitive), or null.</summary>
    public static KindDefinition? FindIgnoreCase(string kind) => ByLowerName.GetValueOrDefault(kind);

    private static SpecField Req(string name) => new(name, SpecFieldShape.String, true);

    private static SpecField Opt(string name) => new(name, SpecFieldShape.String, false);

    private static SpecField OptArray(string name) => new(name, SpecFieldShape.StringArray, false);
}
