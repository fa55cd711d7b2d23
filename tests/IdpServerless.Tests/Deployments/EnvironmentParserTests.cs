using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Tests.Deployments;

public class EnvironmentParserTests
{
    private static readonly DeploymentOptions Options = new() { DefaultClusters = "local-east", AnalysisInterval = TimeSpan.FromSeconds(1), AnalysisCount = 2 };

    private static (ComponentDelivery? Delivery, Dictionary<string, string[]> Errors) Parse(string environments, Dictionary<string, string>? more = null)
    {
        var annotations = new Dictionary<string, string>(more ?? []) { [EnvironmentParser.EnvironmentsAnnotation] = environments };
        var errors = new Dictionary<string, string[]>();
        return (EnvironmentParser.Parse("component:shop/payments-api", annotations, Options, errors), errors);
    }

    [Fact]
    public void A_full_declaration_reads_environments_in_promotion_order_with_clusters_strategies_and_protection()
    {
        var (delivery, errors) = Parse("""
            - name: prod
              order: 3
              clusters: [local-east, {name: local-west, namespace: pay}]
              protection: {approval: true, approvers: [group:default/payments-team]}
              strategy:
                type: canary
                metrics:
                  - {name: error-budget, query: 'sum(rate(errors{app="{{app}}"}[{{window}}]))', comparison: "<=", threshold: 0.5}
                steps:
                  - setWeight: 20
                  - pause: {duration: 2s}
                  - analysis: {templates: [success-rate, error-budget], failureLimit: 1}
                  - pause: {}
                  - setWeight: 100
            - name: dev
              order: 1
            - name: staging
              order: 2
              strategy: {type: blueGreen, autoPromote: false, scaleDownDelay: 30s}
            """, new() { [EnvironmentParser.RepositoryAnnotation] = "gitops/payments" });

        Assert.Empty(errors);
        Assert.NotNull(delivery);
        Assert.Equal(["dev", "staging", "prod"], delivery.Environments.Select(e => e.Name));
        var prod = delivery.Find("prod")!;
        Assert.Equal([new ClusterTarget("local-east", "payments-api"), new ClusterTarget("local-west", "pay")], prod.Clusters);
        Assert.True(prod.Protection.ApprovalRequired);
        Assert.Equal(["group:default/payments-team"], prod.Protection.Approvers);
        Assert.Equal("gitops/payments", prod.DesiredState.Repository.ToString());
        Assert.Equal("prod", prod.DesiredState.Path);
        Assert.Equal(StrategyTypes.Canary, prod.Strategy.Type);
        Assert.Equal(["setWeight 20", "pause 2s", "analysis success-rate,error-budget", "pause until promoted", "setWeight 100"], prod.Strategy.Steps.Select(s => s.Describe()));
        var analysis = prod.Strategy.Steps[2].Analysis!;
        Assert.Equal(1, analysis.FailureLimit);
        Assert.Equal(2, analysis.Count);
        Assert.Equal("<=", prod.Strategy.Metrics["error-budget"].Comparison);
        var staging = delivery.Find("staging")!;
        Assert.Equal(StrategyTypes.BlueGreen, staging.Strategy.Type);
        Assert.False(staging.Strategy.AutoPromote);
        Assert.Equal(TimeSpan.FromSeconds(30), staging.Strategy.ScaleDownDelay);
        Assert.Equal("staging", delivery.Next("dev")!.Name);
        Assert.Null(delivery.Next("prod"));
    }

    [Fact]
    public void The_short_form_lists_names_with_defaults()
    {
        var (delivery, errors) = Parse("dev, staging,prod");

        Assert.Empty(errors);
        Assert.Equal(["dev", "staging", "prod"], delivery!.Environments.Select(e => e.Name));
        Assert.All(delivery.Environments, e =>
        {
            Assert.Equal(StrategyTypes.Rolling, e.Strategy.Type);
            Assert.Equal([new ClusterTarget("local-east", "payments-api")], e.Clusters);
            Assert.Equal("deployments/payments-api-deploy", e.DesiredState.Repository.ToString());
        });
        Assert.Equal("registry.local/payments-api", delivery.Image);
    }

    [Fact]
    public void Every_problem_is_reported_with_its_path()
    {
        var (_, errors) = Parse("""
            - name: Dev!
            - name: prod
              strategy:
                type: canary
                steps:
                  - setWeight: 120
                  - pause: {duration: soon}
                  - analysis: {templates: [nope]}
                  - jump: 3
            - name: prod
            """);

        Assert.Contains("metadata.annotations[idp.dev/environments][0].name", errors.Keys);
        Assert.Contains("metadata.annotations[idp.dev/environments][1].strategy.steps[0].setWeight", errors.Keys);
        Assert.Contains("metadata.annotations[idp.dev/environments][1].strategy.steps[1].pause.duration", errors.Keys);
        Assert.Contains("metadata.annotations[idp.dev/environments][1].strategy.steps[2].analysis.templates", errors.Keys);
        Assert.Contains("metadata.annotations[idp.dev/environments][1].strategy.steps[3]", errors.Keys);
        Assert.Contains(errors["metadata.annotations[idp.dev/environments][2].name"], m => m.Contains("declared twice", StringComparison.Ordinal));
    }

    [Fact]
    public void YAML_aliases_and_malformed_YAML_are_refused()
    {
        var (_, aliases) = Parse("""
            - &a {name: dev}
            - *a
            """);
        var (_, malformed) = Parse("- name: [dev\n- x");

        Assert.Contains(aliases.Values.SelectMany(v => v), m => m.Contains("aliases", StringComparison.Ordinal));
        Assert.Contains(malformed.Values.SelectMany(v => v), m => m.Contains("not valid YAML", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("payments-api", "component:default/payments-api")]
    [InlineData("shop/Payments-API", "component:shop/payments-api")]
    [InlineData("component:shop/payments-api", "component:shop/payments-api")]
    [InlineData("api:shop/payments-api", null)]
    [InlineData("a/b/c", null)]
    public void Component_refs_are_normalized(string text, string? expected) =>
        Assert.Equal(expected, ComponentRefs.Normalize(text));
}
