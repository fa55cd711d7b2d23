using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.Analysis;
using IdpServerless.Functions.Deployments.Model;
using YamlDotNet.Serialization;

namespace IdpServerless.Tests.Deployments.Analysis;

/// <summary>Reading Argo Rollouts' analysis fields and templates: what is accepted, and the field each refusal names.</summary>
public class AnalysisSpecTests
{
    private const string Root = "metadata.annotations[idp.dev/environments][0]";

    private static (ComponentDelivery? Delivery, Dictionary<string, string[]> Errors) Parse(string environments)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var d = EnvironmentParser.Parse("component:default/pay", new Dictionary<string, string> { [EnvironmentParser.EnvironmentsAnnotation] = environments }, new DeploymentOptions(), errors);
        return (d, errors);
    }

    [Fact]
    public void Argo_fields_templates_args_dry_run_and_failure_action_are_read_into_the_plan()
    {
        var (d, errors) = Parse("""
            - name: prod
              failureAction: pause
              strategy:
                type: canary
                metrics:
                  - {name: errors, query: 'sum(x)', successCondition: 'result[0] < 1', interval: 30s, count: 4, initialDelay: 10s, failureLimit: -1, consecutiveSuccessLimit: 2, consecutiveErrorLimit: 2, dryRun: true}
                analysis: {templates: [success-rate], startingStep: 1}
                steps:
                  - setWeight: 20
                  - analysis:
                      templates: [errors, {templateName: success-rate-argo}, {templateName: slo, clusterScope: true}]
                      args: [{name: service-name, value: pay-canary}]
                      dryRun: [{metricName: 'slo-.*'}]
            """);
        Assert.Empty(errors);
        var env = d!.Environments[0];
        Assert.Equal(FailureActions.Pause, env.FailureAction);
        var step = env.Strategy.Steps[1].Analysis!;
        var errorsMetric = Assert.Single(step.Metrics!);
        Assert.Equal(("result[0] < 1", TimeSpan.FromSeconds(30), 4, TimeSpan.FromSeconds(10), -1, 2, 2, true),
            (errorsMetric.SuccessCondition!, errorsMetric.Interval!.Value, errorsMetric.Count!.Value, errorsMetric.InitialDelay!.Value, errorsMetric.FailureLimit!.Value, errorsMetric.ConsecutiveSuccessLimit!.Value, errorsMetric.ConsecutiveErrorLimit!.Value, errorsMetric.DryRun));
        Assert.Equal([new AnalysisTemplateRef("success-rate-argo", false, $"{Root}.strategy.steps[1].analysis.templates[1].templateName"), new AnalysisTemplateRef("slo", true, $"{Root}.strategy.steps[1].analysis.templates[2].templateName")], step.TemplateRefs!);
        Assert.Equal([new AnalysisArg("service-name", "pay-canary")], step.Args!);
        Assert.Equal(1, env.Strategy.BackgroundAnalysis!.StartingStep);
        // A built-in in the portal's form takes the step's count and interval, as before.
        var builtIn = Assert.Single(env.Strategy.BackgroundAnalysis.Metrics!);
        Assert.Equal((3, TimeSpan.FromSeconds(30)), (builtIn.Count!.Value, builtIn.Interval!.Value));
    }

    [Theory]
    [InlineData("failureAction: later", "failureAction", "rollback (default) or pause")]
    [InlineData("strategy: {type: canary, metrics: [{name: m, query: q, successCondition: 'result[0] >='}], steps: [{analysis: {templates: [m]}}]}", "strategy.metrics[0].successCondition", "ends too early")]
    [InlineData("strategy: {type: canary, metrics: [{name: m, query: q, successCondition: 'result > 1', count: zero}], steps: [{analysis: {templates: [m]}}]}", "strategy.metrics[0].count", "integer")]
    [InlineData("strategy: {type: canary, steps: [{analysis: {templates: [{templateName: t}], args: [{name: token, valueFrom: {secretKeyRef: {name: s, key: k}}}]}}]}", "strategy.steps[0].analysis.args[0].valueFrom", "not supported")]
    [InlineData("strategy: {type: canary, steps: [{analysis: {templates: [{clusterScope: true}]}}]}", "strategy.steps[0].analysis.templates[0]", "templateName")]
    [InlineData("strategy: {type: rolling, analysis: {templates: [success-rate]}}", "strategy.analysis", "canary strategy only")]
    [InlineData("strategy: {type: canary, analysis: {templates: [success-rate], startingStep: 3}, steps: [{setWeight: 10}]}", "strategy.analysis.startingStep", "from 0 to 0")]
    [InlineData("strategy: {type: canary, postPromotionAnalysis: {templates: [success-rate]}}", "strategy.postPromotionAnalysis", "blueGreen strategy only")]
    public void A_bad_analysis_field_is_named_by_its_path(string environment, string field, string why)
    {
        var (_, errors) = Parse($"- name: prod\n  {environment}");
        Assert.True(errors.TryGetValue($"{Root}.{field}", out var messages), $"no error at {field}: {string.Join(", ", errors.Keys)}");
        Assert.Contains(messages!, m => m.Contains(why, StringComparison.Ordinal));
    }

    private static readonly IDeserializer Yaml = new DeserializerBuilder().Build();

    private static Dictionary<(bool, string), Dictionary<object, object?>> Templates(string yaml) => new()
    {
        [(false, "t")] = (Dictionary<object, object?>)Yaml.Deserialize<object>(yaml)!,
    };

    private static AnalysisStep Step(params AnalysisArg[] args) => new(["t"], 0, 0, 1, TimeSpan.FromSeconds(1), [], [new AnalysisTemplateRef("t", false, "s.analysis.templates[0].templateName")], args);

    [Fact]
    public void A_template_is_filled_with_its_args_and_keeps_argo_defaults()
    {
        var errors = new Dictionary<string, string[]>();
        var step = AnalysisTemplateResolver.Resolve(Step(new AnalysisArg("svc", "pay")), Templates("""
            kind: AnalysisTemplate
            metadata: {name: t}
            spec:
              args: [{name: svc}, {name: window, value: 5m}]
              dryRun: [{metricName: noisy}]
              metrics:
                - name: ok
                  successCondition: result[0] >= 0.95
                  provider: {prometheus: {address: 'http://prom:9090', query: 'sum(rate(x{svc="{{args.svc}}"}[{{ args.window }}]))'}}
                - name: noisy
                  provider: {prometheus: {query: 'up'}}
            """), errors);
        Assert.Empty(errors);
        Assert.Equal(["ok", "noisy"], step.Metrics!.Select(m => m.Name));
        Assert.Equal(("sum(rate(x{svc=\"pay\"}[5m]))", "http://prom:9090", false, (int?)null), (step.Metrics![0].Query, step.Metrics[0].Address, step.Metrics[0].DryRun, step.Metrics[0].Count));
        Assert.True(step.Metrics[1].DryRun);
    }

    [Theory]
    [InlineData("spec: {args: [{name: svc}], metrics: [{name: m, successCondition: 'result > 1', provider: {prometheus: {query: 'x{s=\"{{args.svc}}\"}'}}}]}", "s.analysis.args", "needs arg 'svc'")]
    [InlineData("spec: {metrics: [{name: m, successCondition: 'result > 1', provider: {prometheus: {query: 'x{s=\"{{args.other}}\"}'}}}]}", "s.analysis.templates[0].templateName", "does not declare")]
    [InlineData("spec: {metrics: [{name: m, provider: {datadog: {query: 'x'}}}]}", "s.analysis.templates[0].templateName", "only the Prometheus provider")]
    [InlineData("spec: {metrics: [{name: m, failureCondition: 'result >', provider: {prometheus: {query: 'x'}}}]}", "s.analysis.templates[0].templateName", "failureCondition")]
    [InlineData("spec: {metrics: []}", "s.analysis.templates[0].templateName", "no spec.metrics")]
    public void A_template_that_cannot_be_used_is_a_422_naming_the_steps_field(string spec, string field, string why)
    {
        var errors = new Dictionary<string, string[]>();
        AnalysisTemplateResolver.Resolve(Step(), Templates("kind: AnalysisTemplate\nmetadata: {name: t}\n" + spec), errors);
        Assert.True(errors.TryGetValue(field, out var messages), $"no error at {field}: {string.Join(", ", errors.Keys)}");
        Assert.Contains(messages!, m => m.Contains(why, StringComparison.Ordinal));
    }

    [Fact]
    public void A_cluster_template_asked_for_without_cluster_scope_says_so()
    {
        var errors = new Dictionary<string, string[]>();
        AnalysisTemplateResolver.Resolve(Step(), new Dictionary<(bool, string), Dictionary<object, object?>> { [(true, "t")] = new() }, errors);
        Assert.Contains("set clusterScope: true", errors["s.analysis.templates[0].templateName"][0], StringComparison.Ordinal);
    }
}
