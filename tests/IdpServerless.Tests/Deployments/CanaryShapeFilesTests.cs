using System.Text;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Orchestrations;

namespace IdpServerless.Tests.Deployments;

/// <summary>What the new canary steps put into the deployment repository's files.</summary>
public class CanaryShapeFilesTests
{
    private static DeploymentPlan Plan(int replicas, params CanaryStep[] steps)
    {
        var strategy = new DeliveryStrategy(StrategyTypes.Canary, steps, new Dictionary<string, AnalysisMetric>(), true, TimeSpan.Zero, null, TimeSpan.FromSeconds(30));
        var location = new DesiredStateLocation(new IdpServerless.Functions.Git.RepoRef("deployments", "payments-api-deploy"), "prod", "main");
        var env = new DeliveryEnvironment("prod", 1, [new ClusterTarget("local-east", "payments")], strategy, Protection.None, location, TimeSpan.FromMinutes(1), replicas);
        return new DeploymentPlan("d1", "deploy", "component:shop/payments-api", "payments-api", "registry.local/payments-api", env, "2.0", "jane", DateTimeOffset.UnixEpoch,
            null, null, false, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), "1m", null);
    }

    private static Dictionary<string, string> Files(DesiredState state) =>
        DesiredStateFiles.Render("prod", state, "payments").ToDictionary(c => c.Path, c => Encoding.UTF8.GetString(c.Content!));

    [Fact]
    public void Without_the_new_steps_the_shape_renders_exactly_what_older_releases_committed()
    {
        var plan = Plan(4, new CanaryStep(SetWeight: 20));
        var shape = CanaryShape.For(plan) with { Weight = 20 };

        var state = shape.Render(plan, "1.0");

        Assert.Equal(Files(DesiredState.Canary(plan.Component, plan.App, "prod", plan.Image, "1.0", "2.0", 20, 4)), Files(state));
    }

    [Fact]
    public void A_judgement_adds_a_baseline_of_the_stable_version_at_the_canarys_size_and_weight_taken_from_stable()
    {
        var plan = Plan(4, new CanaryStep(SetWeight: 20), new CanaryStep(Judgement: new IdpServerless.Functions.Deployments.Judgement.JudgementStep([], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), new(75, 50))));
        var state = (CanaryShape.For(plan) with { Weight = 20 }).Render(plan, "1.0");

        Assert.Equal(
            [new Track(Tracks.Stable, "1.0", 4, 60), new Track(Tracks.Canary, "2.0", 1, 20), new Track(Tracks.Baseline, "1.0", 1, 20)],
            state.Tracks);
        var files = Files(state);
        Assert.Contains("name: payments-api-baseline\n  namespace: payments\n  labels: {app: \"payments-api\", track: \"baseline\", version: \"1.0\"}", files["prod/workloads.yaml"], StringComparison.Ordinal);
        Assert.Contains("- name: payments-api-baseline\n          port: 80\n          weight: 20", files["prod/httproute.yaml"], StringComparison.Ordinal);
        Assert.Equal(state.Tracks, DesiredStateFiles.ParseValues(Encoding.UTF8.GetBytes(files["prod/values.yaml"]))!.Tracks);

        // At 70% the baseline can only have what stable has left: 30, and stable none.
        var late = (CanaryShape.For(plan) with { Weight = 70 }).Render(plan, "1.0");
        Assert.Equal([0, 70, 30], late.Tracks.Select(t => t.Weight));

        // Stable and baseline together still serve more than the canary at 40%: values.yaml names the stable version.
        var at40 = (CanaryShape.For(plan) with { Weight = 40 }).Render(plan, "1.0");
        Assert.Equal([20, 40, 40], at40.Tracks.Select(t => t.Weight));
        Assert.Equal("1.0", at40.ServingVersion);
        Assert.Contains("version: \"1.0\"\ntracks:", DesiredStateFiles.RenderValues(at40), StringComparison.Ordinal);
    }

    [Fact]
    public void SetCanaryScale_changes_canary_and_baseline_replicas_but_not_the_weights()
    {
        var plan = Plan(10);
        var at20 = CanaryShape.For(plan) with { Weight = 20, Baseline = true };

        var replicas = CanarySteps.Scale(at20, new CanaryScaleStep(Replicas: 5)).Render(plan, "1.0");
        var share = CanarySteps.Scale(at20, new CanaryScaleStep(Weight: 50)).Render(plan, "1.0");
        var matched = CanarySteps.Scale(CanarySteps.Scale(at20, new CanaryScaleStep(Replicas: 5)), new CanaryScaleStep(MatchTrafficWeight: true)).Render(plan, "1.0");

        Assert.Equal([(10, 60), (5, 20), (5, 20)], replicas.Tracks.Select(t => (t.Replicas, t.Weight)));
        Assert.Equal([(10, 60), (5, 20), (5, 20)], share.Tracks.Select(t => (t.Replicas, t.Weight)));
        Assert.Equal([(10, 60), (2, 20), (2, 20)], matched.Tracks.Select(t => (t.Replicas, t.Weight)));
        Assert.Contains("name: payments-api-canary\n  namespace: payments\n  labels: {app: \"payments-api\", track: \"canary\", version: \"2.0\"}\nspec:\n  replicas: 5", Files(replicas)["prod/workloads.yaml"], StringComparison.Ordinal);

        // Set before any traffic (Argo's way to warm the canary up): pods without a share of requests.
        var warm = CanarySteps.Scale(CanaryShape.For(plan), new CanaryScaleStep(Replicas: 2)).Render(plan, "1.0");
        Assert.Equal((2, 0), (warm.Find(Tracks.Canary)!.Replicas, warm.Find(Tracks.Canary)!.Weight));
    }

    [Fact]
    public void SetHeaderRoute_adds_a_Gateway_API_header_match_rule_to_the_canary_before_the_weighted_rule_and_an_empty_match_removes_it()
    {
        var plan = Plan(4);
        var shape = CanaryShape.For(plan) with { Weight = 10 };
        var routed = CanarySteps.Route(shape, new HeaderRouteStep("beta", [new HeaderMatch("X-Canary", HeaderMatchTypes.Exact, "yes"), new HeaderMatch("User-Agent", HeaderMatchTypes.Prefix, "Mozilla/5.0")]));
        routed = CanarySteps.Route(routed, new HeaderRouteStep("ios", [new HeaderMatch("X-Platform", HeaderMatchTypes.Regex, "ios|ipados")]));

        var state = routed.Render(plan, "1.0");
        var route = Files(state)["prod/httproute.yaml"];

        Assert.Equal("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: payments-api
              namespace: payments
            spec:
              parentRefs:
                - name: idp-gateway
              rules:
                - name: "beta"
                  matches:
                    - headers:
                        - name: "X-Canary"
                          type: Exact
                          value: "yes"
                        - name: "User-Agent"
                          type: RegularExpression
                          value: "^Mozilla/5\\.0.*"
                  backendRefs:
                    - name: payments-api-canary
                      port: 80
                - name: "ios"
                  matches:
                    - headers:
                        - name: "X-Platform"
                          type: RegularExpression
                          value: "ios|ipados"
                  backendRefs:
                    - name: payments-api-canary
                      port: 80
                - backendRefs:
                    - name: payments-api-stable
                      port: 80
                      weight: 90
                    - name: payments-api-canary
                      port: 80
                      weight: 10

            """, route);
        var back = DesiredStateFiles.ParseValues(Encoding.UTF8.GetBytes(Files(state)["prod/values.yaml"]))!;
        Assert.Equal(["beta", "ios"], back.HeaderRoutes!.Select(r => r.Name));
        Assert.Equal(state.HeaderRoutes![0].Match, back.HeaderRoutes![0].Match);

        var removed = CanarySteps.Route(routed, new HeaderRouteStep("beta", [])).Render(plan, "1.0");
        Assert.Equal(["ios"], removed.HeaderRoutes!.Select(r => r.Name));
        Assert.DoesNotContain("\"beta\"", Files(removed)["prod/httproute.yaml"], StringComparison.Ordinal);
    }
}
