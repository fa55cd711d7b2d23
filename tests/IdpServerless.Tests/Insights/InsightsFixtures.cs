using System.Text;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Insights.Scorecards;

namespace IdpServerless.Tests.Insights;

/// <summary>Entities, scorecards and deployment records for the insights tests, built as the catalog stores them.</summary>
public static class InsightsFixtures
{
    public static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public static CatalogIndex NewIndex() => new(new CatalogOptions());

    public static StoredEntity Entity(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        var kind = node["kind"]!.GetValue<string>();
        var metadata = node["metadata"]!.AsObject();
        var name = metadata["name"]!.GetValue<string>();
        var ns = metadata["namespace"]?.GetValue<string>() ?? "default";
        var uid = Guid.NewGuid().ToString();
        metadata["uid"] = uid;
        return new StoredEntity(EntityRef.Key(kind, ns, name), uid, "e1", "loc", null, Now, "h", Encoding.UTF8.GetBytes(node.ToJsonString()));
    }

    public static StoredEntity Component(string name, string? owner = "team-a", string lifecycle = "production", string? annotations = null, string? extraSpec = null, string type = "service", string? tags = null) =>
        Entity("{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":{\"name\":\"" + name + "\",\"annotations\":" + (annotations ?? "{}") +
               ",\"tags\":" + (tags ?? "[]") + "},\"spec\":{\"type\":\"" + type + "\",\"lifecycle\":\"" + lifecycle + "\"" +
               (owner is null ? string.Empty : ",\"owner\":\"" + owner + "\"") + (extraSpec is null ? string.Empty : "," + extraSpec) + "}}");

    public static StoredEntity Group(string name, string? parent = null, string[]? members = null) =>
        Entity("{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Group\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"type\":\"team\",\"children\":[]" +
               (parent is null ? string.Empty : ",\"parent\":\"" + parent + "\"") + ",\"members\":" + Array(members ?? []) + "}}");

    public static StoredEntity User(string name, params string[] groups) =>
        Entity("{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"User\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"memberOf\":" + Array(groups) + "}}");

    public static StoredEntity Api(string name, string owner = "team-a") =>
        Entity("{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"API\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"type\":\"openapi\",\"lifecycle\":\"production\",\"owner\":\"" + owner + "\",\"definition\":\"openapi: 3.0.0\"}}");

    private static string Array(IEnumerable<string> values) => "[" + string.Join(",", values.Select(v => "\"" + v + "\"")) + "]";

    /// <summary>A Scorecard entity whose spec is <paramref name="spec"/> (JSON).</summary>
    public static StoredEntity Scorecard(string name, string spec) =>
        Entity("{\"apiVersion\":\"idpserverless.io/v1alpha1\",\"kind\":\"Scorecard\",\"metadata\":{\"name\":\"" + name + "\",\"title\":\"" + name + " title\"},\"spec\":" + spec + "}");

    /// <summary>The production-readiness scorecard the tests share: bronze (owner, docs), silver (+ API, prod declared), gold (+ canary, delivery).</summary>
    public const string ReadinessSpec = """
    {
      "filter": {"kind": "component"},
      "rules": [
        {"id": "has-owner", "type": "ownerExists"},
        {"id": "has-docs", "type": "techDocs", "weight": 2},
        {"id": "provides-api", "type": "relation", "relation": "providesApi", "targetKind": "api", "targetsExist": true},
        {"id": "declares-prod", "type": "environments", "environment": "prod"},
        {"id": "canary-in-prod", "type": "strategy", "strategy": "canary"},
        {"id": "deployed-recently", "type": "deployedRecently", "withinDays": 30},
        {"id": "low-fail-rate", "type": "changeFailRate", "max": 0.25, "days": 30}
      ],
      "levels": [
        {"name": "Bronze", "rules": ["has-owner", "has-docs"]},
        {"name": "Silver", "rules": ["provides-api", "declares-prod"]},
        {"name": "Gold", "rules": ["canary-in-prod", "deployed-recently", "low-fail-rate"]}
      ]
    }
    """;

    public static ScorecardDefinition Parse(StoredEntity card)
    {
        var problems = new List<EntityProblem>();
        return ScorecardParser.Parse(card.Body, card.RefKey, problems) ?? throw new InvalidOperationException(string.Join("; ", problems.Select(p => $"{p.Field}: {p.Message}")));
    }

    public static DeploymentRecord Deployment(string component, string environment, string version, string status, DateTimeOffset created, TimeSpan took, string kind = DeploymentKinds.Deploy, string? reason = null, DateTimeOffset? committedAt = null) =>
        new(
            Guid.NewGuid().ToString("N")[..12],
            kind,
            component,
            environment,
            version,
            null,
            new StrategySummary("rolling", []),
            status,
            "user:default/jane",
            created,
            created + took,
            [],
            null,
            null,
            reason,
            "api",
            [],
            created + took,
            null,
            committedAt);
}

/// <summary>Deployment history from a list, for the pure engine tests.</summary>
public sealed class ListedDeliveries(IEnumerable<DeploymentRecord> records) : IDeliveryHistory
{
    private readonly ILookup<string, DeploymentRecord> _byComponent = records.ToLookup(r => r.Component, StringComparer.Ordinal);

    public IReadOnlyList<DeploymentRecord> For(string componentRef) => [.. _byComponent[componentRef]];
}
