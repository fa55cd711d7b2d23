using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Insights.Scorecards;
using static IdpServerless.Tests.Insights.InsightsFixtures;

namespace IdpServerless.Tests.Insights;

/// <summary>Every rule type, levels, weighted scores and filters, on an in-memory catalog and a listed deployment history.</summary>
public class ScorecardEngineTests
{
    private const string Docs = """{"backstage.io/techdocs-ref":"dir:."}""";
    private const string CanaryProd = """{"backstage.io/techdocs-ref":"dir:.","idp.dev/environments":"- name: dev\n- name: prod\n  strategy: canary"}""";
    private const string RollingProd = """{"backstage.io/techdocs-ref":"dir:.","idp.dev/environments":"dev,prod"}""";

    private static (CatalogIndex Index, ScorecardContext Context) Catalog(IEnumerable<DeploymentRecord>? deployments = null, params StoredEntity[] extra)
    {
        var index = NewIndex();
        index.Apply(
        [
            Group("team-a", members: ["alice"]), Group("team-a-sub", parent: "team-a"), User("alice", "team-a"),
            Component("gold-svc", owner: "team-a-sub", annotations: CanaryProd, extraSpec: "\"providesApis\":[\"gold-api\"]"),
            Component("silver-svc", annotations: RollingProd, extraSpec: "\"providesApis\":[\"silver-api\"]"),
            Component("bronze-svc", annotations: Docs),
            Component("ghost-svc", owner: "ghost-team", extraSpec: "\"providesApis\":[\"missing-api\"]"),
            Component("skipper-svc", annotations: """{"idp.dev/environments":"prod"}""", extraSpec: "\"providesApis\":[\"silver-api\"]"),
            Api("gold-api"), Api("silver-api"),
            .. extra,
        ], []);
        var history = deployments ?? Enumerable.Range(0, 4).Select(i => Deployment("component:default/gold-svc", "prod", $"1.{i}.0", DeploymentStatuses.Succeeded, Now.AddDays(-5 - i), TimeSpan.FromMinutes(10)));
        return (index, new ScorecardContext(index, new ListedDeliveries(history), new DeploymentOptions(), Now));
    }

    private static EntityScore Score(ScorecardDefinition card, (CatalogIndex Index, ScorecardContext Context) catalog, string name) =>
        ScorecardEngine.Evaluate(card, catalog.Index.Get($"component:default/{name}")!, catalog.Context);

    [Fact]
    public void Levels_are_reached_in_order_and_the_score_weighs_every_rule()
    {
        var catalog = Catalog();
        var card = Parse(Scorecard("readiness", ReadinessSpec));

        var gold = Score(card, catalog, "gold-svc");
        Assert.Equal(("Gold", 2, 100.0), (gold.Level, gold.LevelRank, gold.Score));
        Assert.Empty(gold.FailedRules);

        var silver = Score(card, catalog, "silver-svc");
        Assert.Equal(("Silver", 62.5), (silver.Level, silver.Score));
        Assert.Equal(["canary-in-prod", "deployed-recently", "low-fail-rate"], silver.FailedRules);
        Assert.Equal("prod releases with rolling, not canary", silver.Outcomes.Single(o => o.Rule == "canary-in-prod").Detail);
        Assert.Equal("never deployed to production", silver.Outcomes.Single(o => o.Rule == "deployed-recently").Detail);

        var bronze = Score(card, catalog, "bronze-svc");
        Assert.Equal(("Bronze", 37.5), (bronze.Level, bronze.Score));
        Assert.Equal("0 providesApi api relation(s), 1 needed", bronze.Outcomes.Single(o => o.Rule == "provides-api").Detail);

        // skipper passes every Silver rule but not Bronze's docs rule: no level, though its score counts what passed.
        var skipper = Score(card, catalog, "skipper-svc");
        Assert.Equal((null, -1, 37.5), (skipper.Level, skipper.LevelRank, skipper.Score));
        Assert.Equal("no backstage.io/techdocs-ref annotation", skipper.Outcomes.Single(o => o.Rule == "has-docs").Detail);

        var ghost = Score(card, catalog, "ghost-svc");
        Assert.Null(ghost.Level);
        Assert.Equal("owner group:default/ghost-team is not a group or user in the catalog", ghost.Outcomes.Single(o => o.Rule == "has-owner").Detail);
        Assert.StartsWith("0 providesApi api relation(s) to existing entities, 1 needed; not in the catalog: api:default/missing-api", ghost.Outcomes.Single(o => o.Rule == "provides-api").Detail);
        Assert.Equal("no environments declared (idp.dev/environments)", ghost.Outcomes.Single(o => o.Rule == "declares-prod").Detail);
    }

    [Fact]
    public void Field_and_annotation_rules_compare_case_insensitively_with_every_operator()
    {
        var catalog = Catalog(null, Component("fielded", annotations: """{"pagerduty.com/service-id":"P12345","team.io/tier":"Tier-1"}""", extraSpec: "\"system\":\"payments\""));
        var card = Parse(Scorecard("fields", """
        {"rules": [
          {"id": "lifecycle", "type": "field", "path": "spec.lifecycle", "value": "PRODUCTION"},
          {"id": "type-in", "type": "field", "path": "spec.type", "values": ["website", "service"]},
          {"id": "name-pattern", "type": "field", "path": "metadata.name", "pattern": "^field"},
          {"id": "has-system", "type": "field", "path": "spec.system"},
          {"id": "no-domain", "type": "field", "path": "spec.domain", "operator": "exists"},
          {"id": "pager", "type": "annotation", "key": "pagerduty.com/service-id"},
          {"id": "tier", "type": "annotation", "key": "team.io/tier", "values": ["tier-1", "tier-2"]},
          {"id": "wrong-tier", "type": "annotation", "key": "team.io/tier", "value": "tier-3"}
        ],
        "levels": [{"name": "Basic", "rules": ["lifecycle", "type-in"]}]}
        """));
        var result = Score(card, catalog, "fielded");
        Assert.Equal(["no-domain", "wrong-tier"], result.FailedRules);
        Assert.Equal("field spec.domain is not set", result.Outcomes.Single(o => o.Rule == "no-domain").Detail);
        Assert.Equal("annotation team.io/tier is \"Tier-1\", not tier-3", result.Outcomes.Single(o => o.Rule == "wrong-tier").Detail);
        Assert.Equal("Basic", result.Level);
        Assert.Equal(75.0, result.Score);
    }

    [Fact]
    public void Delivery_rules_read_production_deployments_in_their_window()
    {
        var c = "component:default/gold-svc";
        var history = new[]
        {
            Deployment(c, "prod", "1.0.0", DeploymentStatuses.Succeeded, Now.AddDays(-20), TimeSpan.FromMinutes(5)),
            Deployment(c, "prod", "1.1.0", DeploymentStatuses.Failed, Now.AddDays(-15), TimeSpan.FromMinutes(5)),
            Deployment(c, "prod", "1.1.1", DeploymentStatuses.Succeeded, Now.AddDays(-14), TimeSpan.FromMinutes(5)),
            Deployment(c, "prod", "1.2.0", DeploymentStatuses.Succeeded, Now.AddDays(-3), TimeSpan.FromMinutes(5)),
            Deployment(c, "dev", "1.3.0", DeploymentStatuses.Failed, Now.AddDays(-1), TimeSpan.FromMinutes(5)),
            Deployment("component:default/silver-svc", "prod", "0.9.0", DeploymentStatuses.Succeeded, Now.AddDays(-45), TimeSpan.FromMinutes(5)),
        };
        var catalog = Catalog(history);
        var card = Parse(Scorecard("delivery", """
        {"rules": [
          {"id": "recent", "type": "deployedRecently", "withinDays": 30},
          {"id": "recent-dev", "type": "deployedRecently", "environment": "dev", "withinDays": 30},
          {"id": "cfr-quarter", "type": "changeFailRate", "max": 0.25},
          {"id": "cfr-strict", "type": "changeFailRate", "max": 0.2},
          {"id": "cfr-week", "type": "changeFailRate", "max": 0.5, "days": 7}
        ],
        "levels": [{"name": "Shipping", "rules": ["recent"]}]}
        """));

        var gold = Score(card, catalog, "gold-svc");
        Assert.Equal(["recent-dev", "cfr-strict"], gold.FailedRules);
        Assert.Equal("never deployed to dev", gold.Outcomes.Single(o => o.Rule == "recent-dev").Detail);
        Assert.Equal("change fail rate 0.25 over 4 deployment(s) to production in 30 days, above 0.2", gold.Outcomes.Single(o => o.Rule == "cfr-strict").Detail);
        Assert.Equal("change fail rate 0 over 1 deployment(s) to production in 7 days", gold.Outcomes.Single(o => o.Rule == "cfr-week").Detail);

        var silver = Score(card, catalog, "silver-svc");
        Assert.Null(silver.Level);
        Assert.Equal("last deployed to production 2026-10-17, more than 30 days ago", silver.Outcomes.Single(o => o.Rule == "recent").Detail);
        Assert.Equal("no deployments to production in 30 days", silver.Outcomes.Single(o => o.Rule == "cfr-quarter").Detail);
    }

    [Fact]
    public void Filters_choose_the_entities_and_a_scorecard_never_scores_itself()
    {
        var catalog = Catalog(null, Component("exp-web", lifecycle: "experimental", type: "website", tags: "[\"frontend\"]"));
        bool Applies(string filter, string name) =>
            ScorecardEngine.AppliesTo(Parse(Scorecard("f", $$"""{"filter": {{filter}}, "rules": [{"id": "r", "type": "techDocs"}], "levels": [{"name": "L", "rules": ["r"]}]}""")), catalog.Index.Get(name)!);

        Assert.True(Applies("""{"kind": "Component"}""", "component:default/exp-web"));
        Assert.False(Applies("""{"kind": "component"}""", "api:default/gold-api"));
        Assert.True(Applies("""{"kind": ["component", "api"]}""", "api:default/gold-api"));
        Assert.True(Applies("""{"type": "website", "lifecycle": "experimental", "tags": "frontend"}""", "component:default/exp-web"));
        Assert.False(Applies("""{"type": "website", "lifecycle": "production"}""", "component:default/exp-web"));
        Assert.True(Applies("""{"owner": "team-a-sub"}""", "component:default/gold-svc"));
        Assert.False(Applies("""{"owner": "group:default/team-a-sub"}""", "component:default/silver-svc"));
        Assert.True(Applies("""{"namespace": "default"}""", "group:default/team-a"));

        var self = Scorecard("self", """{"filter": {"kind": "scorecard"}, "rules": [{"id": "r", "type": "techDocs"}], "levels": [{"name": "L", "rules": ["r"]}]}""");
        catalog.Index.Apply([self], []);
        Assert.False(ScorecardEngine.AppliesTo(Parse(self), catalog.Index.Get(self.RefKey)!));
    }

    [Fact]
    public void Bad_scorecards_are_refused_with_problems_that_name_each_field()
    {
        var problems = ScorecardParser.Validate(JsonNode.Parse("""
        {
          "filter": {"kind": "component", "colour": "blue"},
          "rules": [
            {"id": "a", "type": "techdocs"},
            {"id": "b", "type": "changeFailRate"},
            {"id": "c", "type": "field", "path": "spec.x", "pattern": "(["},
            {"id": "d", "type": "relation", "relation": "knows", "min": 0},
            {"id": "e", "type": "strategy", "strategy": "big-bang"},
            {"id": "f", "type": "annotation", "key": "x", "weight": 500, "extra": 1},
            {"id": "g", "type": "deployedRecently", "withinDays": 1.5}
          ],
          "levels": [{"name": "Bronze", "rules": ["a"]}, {"name": "bronze", "rules": []}, {"rules": ["zz"]}]
        }
        """)).Select(p => p.Field).ToList();

        Assert.Contains("spec.filter.colour", problems);
        Assert.Contains("spec.rules[0].type", problems);
        Assert.Contains("spec.rules[1].max", problems);
        Assert.Contains("spec.rules[2].pattern", problems);
        Assert.Contains("spec.rules[3].relation", problems);
        Assert.Contains("spec.rules[3].min", problems);
        Assert.Contains("spec.rules[4].strategy", problems);
        Assert.Contains("spec.rules[5].weight", problems);
        Assert.Contains("spec.rules[5].extra", problems);
        Assert.Contains("spec.rules[6].withinDays", problems);
        Assert.Contains("spec.levels[1].name", problems);
        Assert.Contains("spec.levels[2].name", problems);

        Assert.Contains(ScorecardParser.Validate(JsonNode.Parse("""
        {"rules": [{"id": "a", "type": "techDocs"}, {"id": "a", "type": "ownerExists"}], "levels": [{"name": "One", "rules": ["a"]}]}
        """)), p => p.Field == "spec.rules[1].id" && p.Message.Contains("used twice", StringComparison.Ordinal));

        // Level references are checked once the rules themselves are sound (no cascade of follow-on errors).
        var levelProblems = ScorecardParser.Validate(JsonNode.Parse("""
        {"rules": [{"id": "a", "type": "techDocs"}],
         "levels": [{"name": "One", "rules": ["a", "nope"]}, {"name": "Two", "rules": ["a"]}]}
        """));
        Assert.Contains(levelProblems, p => p.Field == "spec.levels[0].rules[1]" && p.Message == "no rule has id \"nope\"");
        Assert.Contains(levelProblems, p => p.Field == "spec.levels[1].rules[0]" && p.Message == "rule \"a\" already belongs to a level");
        Assert.Empty(ScorecardParser.Validate(JsonNode.Parse(ReadinessSpec)));
    }
}
