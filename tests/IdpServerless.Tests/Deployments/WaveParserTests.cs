using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Tests.Deployments;

public class WaveParserTests
{
    private static readonly DeploymentOptions Options = new() { DefaultClusters = "local-east", AnalysisInterval = TimeSpan.FromSeconds(1), AnalysisCount = 2 };

    private static (ComponentDelivery? Delivery, Dictionary<string, string[]> Errors) Parse(string environments)
    {
        var annotations = new Dictionary<string, string> { [EnvironmentParser.EnvironmentsAnnotation] = environments };
        var errors = new Dictionary<string, string[]>();
        return (EnvironmentParser.Parse("component:shop/payments-api", annotations, Options, errors), errors);
    }

    [Fact]
    public void Waves_are_read_in_order_with_their_clusters_analysis_soak_and_the_pause_between_them()
    {
        var (delivery, errors) = Parse("""
            - name: prod
              clusters: [eu-1, us-1, us-2]
              pauseBetweenWaves: true
              waves:
                - {name: canary-region, clusters: [eu-1], soak: 10m}
                - name: rest
                  clusters: [us-1, us-2]
                  analysis: {templates: [success-rate], failureLimit: 1, count: 3}
            - name: dev
            """);

        Assert.Empty(errors);
        var prod = delivery!.Find("prod")!;
        Assert.True(prod.PauseBetweenWaves);
        Assert.Equal(["canary-region", "rest"], prod.Waves!.Select(w => w.Name));
        Assert.Equal(["eu-1"], prod.Waves![0].Clusters);
        Assert.Equal(TimeSpan.FromMinutes(10), prod.Waves[0].Soak);
        Assert.Null(prod.Waves[0].Analysis);
        Assert.Equal(["us-1", "us-2"], prod.Waves[1].Clusters);
        var analysis = prod.Waves[1].Analysis!;
        Assert.Equal(["success-rate"], analysis.Templates);
        Assert.Equal((1, 3), (analysis.FailureLimit, analysis.Count));
        var dev = delivery.Find("dev")!;
        Assert.Null(dev.Waves);
        Assert.False(dev.PauseBetweenWaves);
    }

    [Fact]
    public void Every_cluster_must_belong_to_the_environment_and_to_exactly_one_wave()
    {
        var (_, errors) = Parse("""
            - name: prod
              clusters: [eu-1, us-1, us-2]
              waves:
                - {name: first, clusters: [eu-1, ap-1]}
                - {name: second, clusters: [us-1, eu-1]}
            """);

        const string waves = "metadata.annotations[idp.dev/environments][0].waves";
        Assert.Contains("'ap-1' is not a cluster of this environment (eu-1, us-1, us-2)", Assert.Single(errors[$"{waves}[0].clusters[1]"]), StringComparison.Ordinal);
        Assert.Contains("cluster 'eu-1' is already in wave 'first'", Assert.Single(errors[$"{waves}[1].clusters[1]"]), StringComparison.Ordinal);
        Assert.Contains("cluster 'us-2' of the environment is in no wave", Assert.Single(errors[waves]), StringComparison.Ordinal);
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void Bad_names_shapes_analyses_and_durations_are_refused_by_their_path()
    {
        var (_, errors) = Parse("""
            - name: prod
              clusters: [eu-1, us-1]
              pauseBetweenWaves: sometimes
              waves:
                - {name: First, clusters: [eu-1], soak: forever}
                - {name: rest, clusters: [us-1], analysis: {templates: [apdex]}}
                - {name: rest, clusters: []}
                - just-a-string
            - name: staging
              pauseBetweenWaves: true
            - name: dev
              waves: []
            """);

        const string env = "metadata.annotations[idp.dev/environments]";
        Assert.Equal(
        [
            $"{env}[0].pauseBetweenWaves",
            $"{env}[0].waves[0].name",
            $"{env}[0].waves[0].soak",
            $"{env}[0].waves[1].analysis.templates",
            $"{env}[0].waves[2].clusters",
            $"{env}[0].waves[2].name",
            $"{env}[0].waves[3]",
            $"{env}[1].pauseBetweenWaves",
            $"{env}[2].waves",
        ], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("wave 'rest' is declared twice", errors[$"{env}[0].waves[2].name"][0], StringComparison.Ordinal);
        Assert.Contains("needs waves", errors[$"{env}[1].pauseBetweenWaves"][0], StringComparison.Ordinal);
        Assert.Contains("'apdex' is neither a built-in metric", errors[$"{env}[0].waves[1].analysis.templates"][0], StringComparison.Ordinal);
    }
}
