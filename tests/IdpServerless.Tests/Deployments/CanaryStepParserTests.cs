using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Judgement;
using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Tests.Deployments;

public class CanaryStepParserTests
{
    private const string Prefix = "metadata.annotations[idp.dev/environments][0].strategy";
    private static readonly DeploymentOptions Options = new() { DefaultClusters = "local-east", AnalysisInterval = TimeSpan.FromSeconds(1), AnalysisCount = 2 };

    private static (DeliveryStrategy? Strategy, Dictionary<string, string[]> Errors) Parse(string strategy)
    {
        var yaml = "- name: prod\n  strategy:\n" + string.Join("\n", strategy.Split('\n').Select(l => "    " + l));
        var errors = new Dictionary<string, string[]>();
        var delivery = EnvironmentParser.Parse("component:shop/payments-api", new Dictionary<string, string> { [EnvironmentParser.EnvironmentsAnnotation] = yaml }, Options, errors);
        return (delivery?.Environments[0].Strategy, errors);
    }

    [Fact]
    public void Judgement_scale_and_header_route_steps_read_with_their_fields_and_defaults()
    {
        var (s, errors) = Parse("""
            type: canary
            abortScaleDownDelay: 45s
            steps:
              - setWeight: 10
              - setCanaryScale: {replicas: 3}
              - setHeaderRoute:
                  name: beta-testers
                  match:
                    - {headerName: X-Canary, headerValue: {exact: "yes"}}
                    - {headerName: User-Agent, headerValue: {prefix: Mozilla}}
              - judgement:
                  interval: 2s
                  lifetime: 20s
                  scoreThresholds: {pass: 80, marginal: 60}
                  metrics:
                    - {name: error-rate, critical: true}
                    - {name: throughput, query: 'sum(rate(http_requests_total{track="{{track}}"}[{{window}}]))', direction: decrease, weight: 2, effectSize: {allowedDecrease: 0.8}}
              - judgement: {}
              - setHeaderRoute: {name: beta-testers}
              - setCanaryScale: {matchTrafficWeight: true}
              - setCanaryScale: {weight: 50}
            """);

        Assert.Empty(errors);
        Assert.Equal(TimeSpan.FromSeconds(45), s!.AbortScaleDownDelay);
        Assert.Equal(new CanaryScaleStep(Replicas: 3), s.Steps[1].SetCanaryScale);
        var route = s.Steps[2].SetHeaderRoute!;
        Assert.Equal("beta-testers", route.Name);
        Assert.Equal([new HeaderMatch("X-Canary", HeaderMatchTypes.Exact, "yes"), new HeaderMatch("User-Agent", HeaderMatchTypes.Prefix, "Mozilla")], route.Match);
        var j = s.Steps[3].Judgement!;
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(20), new ScoreThresholds(80, 60)), (j.Interval, j.Lifetime, j.Thresholds));
        Assert.Equal(("error-rate", Directions.Increase, true, 1d), (j.Metrics[0].Name, j.Metrics[0].Direction, j.Metrics[0].Critical, j.Metrics[0].Weight));
        Assert.Contains("track=\"{{track}}\"", j.Metrics[0].Query, StringComparison.Ordinal);
        Assert.Equal(("throughput", Directions.Decrease, false, 2d, 0.8), (j.Metrics[1].Name, j.Metrics[1].Direction, j.Metrics[1].Critical, j.Metrics[1].Weight, j.Metrics[1].AllowedDecrease));
        var defaults = s.Steps[4].Judgement!;
        Assert.Equal(["error-rate", "latency-p99"], defaults.Metrics.Select(m => m.Name));
        Assert.Equal((Options.AnalysisInterval, Options.AnalysisInterval * 10, new ScoreThresholds(75, 50)), (defaults.Interval, defaults.Lifetime, defaults.Thresholds));
        Assert.Empty(s.Steps[5].SetHeaderRoute!.Match);
        Assert.Equal("setHeaderRoute beta-testers removed", s.Steps[5].Describe());
        Assert.True(s.Steps[6].SetCanaryScale!.MatchTrafficWeight);
        Assert.Equal(50, s.Steps[7].SetCanaryScale!.Weight);
    }

    [Fact]
    public void A_canary_without_abortScaleDownDelay_gets_Argos_default_of_30s()
    {
        var (s, errors) = Parse("type: canary\nsteps: [{setWeight: 50}]");

        Assert.Empty(errors);
        Assert.Equal(TimeSpan.FromSeconds(30), s!.AbortScaleDownDelay);
    }

    [Fact]
    public void Every_mistake_in_the_new_steps_is_reported_with_its_path()
    {
        var (_, errors) = Parse("""
            type: canary
            abortScaleDownDelay: later
            steps:
              - setCanaryScale: {replicas: 2, weight: 5}
              - setCanaryScale: {weight: 120}
              - setHeaderRoute: {name: Bad_Name}
              - setHeaderRoute: {name: r1, match: [{headerValue: {exact: a}}, {headerName: X, headerValue: {suffix: b}}, {headerName: Y, headerValue: {regex: "("}}]}
              - judgement:
                  interval: 1s
                  lifetime: 2s
                  scoreThresholds: {pass: 40, marginal: 60}
                  metrics:
                    - {name: custom}
                    - {name: plain, query: 'sum(rate(x[1m]))'}
                    - {name: error-rate, direction: up, weight: 0}
            """);

        Assert.Contains($"{Prefix}.abortScaleDownDelay", errors.Keys);
        Assert.Contains($"{Prefix}.steps[0].setCanaryScale", errors.Keys);
        Assert.Contains($"{Prefix}.steps[1].setCanaryScale.weight", errors.Keys);
        Assert.Contains($"{Prefix}.steps[2].setHeaderRoute.name", errors.Keys);
        Assert.Contains($"{Prefix}.steps[3].setHeaderRoute.match[0].headerName", errors.Keys);
        Assert.Contains($"{Prefix}.steps[3].setHeaderRoute.match[1].headerValue", errors.Keys);
        Assert.Contains($"{Prefix}.steps[3].setHeaderRoute.match[2].headerValue.regex", errors.Keys);
        Assert.Contains($"{Prefix}.steps[4].judgement.lifetime", errors.Keys);
        Assert.Contains($"{Prefix}.steps[4].judgement.scoreThresholds.marginal", errors.Keys);
        Assert.Contains($"{Prefix}.steps[4].judgement.metrics[0].query", errors.Keys);
        Assert.Contains($"{Prefix}.steps[4].judgement.metrics[1].query", errors.Keys);
        Assert.Contains($"{Prefix}.steps[4].judgement.metrics[2].direction", errors.Keys);
    }
}
