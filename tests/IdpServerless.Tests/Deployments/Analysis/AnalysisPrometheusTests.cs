using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Git;
using IdpServerless.Hosting.Problems;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Deployments.Analysis;

/// <summary>Argo Rollouts' analysis semantics in canaries, measured by a real Prometheus scraping traffic the test controls.</summary>
[Collection(AzuriteReleasesCollection.Name)]
public class AnalysisPrometheusTests(AzuriteFixture azurite, PrometheusFixture prometheus) : IClassFixture<PrometheusFixture>
{
    private const string SuccessQuery = "'sum(rate(http_requests_total{app=\"{{app}}\",version=\"{{version}}\",code!~\"5..\"}[5s])) / sum(rate(http_requests_total{app=\"{{app}}\",version=\"{{version}}\"}[5s]))'";

    private static string Canary(string metricFields, string environment = "") => $$"""
        - name: prod
          clusters: [local-east, local-west]
        {{environment}}
          strategy:
            type: canary
            metrics:
              - name: success
                query: {{SuccessQuery}}
        {{metricFields}}
            steps:
              - setWeight: 20
              - analysis: {templates: [success]}
        """;

    private async Task<(DeploymentHarness H, string Name, RepoRef Repo)> StartAsync(string environments, string? prometheusUrl = null, Func<string, string>? shape = null, Func<DeploymentHarness, string, RepoRef, Task>? beforeStable = null)
    {
        var h = await DeploymentHarness.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Metrics:Provider"] = "prometheus",
            ["Metrics:PrometheusUrl"] = prometheusUrl ?? prometheus.Url,
            ["Deployments:AnalysisWindow"] = "5s",
            ["Deployments:AnalysisInterval"] = "00:00:00.500",
        });
        var name = $"pay-{Guid.NewGuid().ToString("N")[..6]}";
        h.Components.Add(name, shape is null ? environments : shape(name));
        prometheus.Metrics.Set(name, name, "1.0.0", rps: 100, errorRate: 0.001, latencySeconds: 0.05);
        await Eventually.ValueAsync(async () => await prometheus.QueryAsync($"sum(rate(http_requests_total{{app=\"{name}\",version=\"1.0.0\"}}[5s]))") is { } r ? (object)r : null, TimeSpan.FromSeconds(30), "Prometheus to rate the stable version");
        var repo = new RepoRef("deployments", $"{name}-deploy");
        if (beforeStable is not null)
        {
            await beforeStable(h, name, repo);
        }

        await h.WaitForStatusAsync((await h.DeployAsync(name, "prod", "1.0.0")).DeploymentId, DeploymentStatuses.Succeeded);
        return (h, name, repo);
    }

    private async Task WarmAsync(string name, string version, double errorRate)
    {
        prometheus.Metrics.Set(name, name, version, rps: 40, errorRate: errorRate, latencySeconds: 0.05);
        await Eventually.ValueAsync(async () => await prometheus.QueryAsync($"sum(rate(http_requests_total{{app=\"{name}\",version=\"{version}\"}}[5s]))") is { } r ? (object)r : null, TimeSpan.FromSeconds(30), $"Prometheus to rate {version}");
    }

    [Fact]
    public async Task An_inconclusive_analysis_pauses_for_a_human_and_a_promote_goes_on()
    {
        var (h, name, _) = await StartAsync(Canary("""
                    successCondition: result[0] >= 0.99
                    failureCondition: result[0] < 0.5
                  - name: strict-dry-run
                    query: {{SuccessQuery}}
                    successCondition: result[0] >= 0.999
                    dryRun: true
            """.Replace("{{SuccessQuery}}", SuccessQuery, StringComparison.Ordinal)).Replace("templates: [success]", "templates: [success, strict-dry-run]", StringComparison.Ordinal));
        await using var _ = h;
        await WarmAsync(name, "2.0.0", errorRate: 0.2); // 80% success: neither condition holds
        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;

        var paused = await h.WaitForStatusAsync(id, DeploymentStatuses.Paused, seconds: 60);
        var measured = Assert.Single(paused.Release!.Analysis, a => a.Metric == "success");
        Assert.Equal((AnalysisOutcomes.Inconclusive, "neither result[0] >= 0.99 nor result[0] < 0.5"), (measured.Result, measured.Condition));
        // The dry-run metric failed, is recorded as such, and did not make the analysis fail.
        var dry = Assert.Single(paused.Release.Analysis, a => a.Metric == "strict-dry-run");
        Assert.Equal((AnalysisOutcomes.Failed, true), (dry.Result, dry.DryRun));
        Assert.True(paused.Release.AnalysisRuns![0].Metrics.Single(m => m.Name == "strict-dry-run").DryRun);
        Assert.InRange(measured.Value!.Value, 0.6, 0.95);
        var run = Assert.Single(paused.Release.AnalysisRuns!);
        Assert.Equal(AnalysisOutcomes.Inconclusive, run.Phase);
        Assert.Contains("more than inconclusiveLimit 0", run.Message, StringComparison.Ordinal);
        Assert.Equal(20, paused.Release.Weights.Canary); // held at the step, not rolled back

        await h.ControlAsync(id, DeploymentControls.Promote);
        var done = await h.WaitForStatusAsync(id, DeploymentStatuses.Succeeded, seconds: 60);
        Assert.Equal(new TrafficWeights(0, 100), done.Release!.Weights);
    }

    [Fact]
    public async Task A_query_that_errors_up_to_the_consecutive_error_limit_recovers_and_one_that_errors_past_it_fails_the_release()
    {
        await using var proxy = new FlakyPrometheusProxy(prometheus.Url);
        await proxy.StartAsync();
        var (h, name, repo) = await StartAsync(Canary("""
                    successCondition: result[0] >= 0.95
                    interval: 500ms
                    count: 2
            """), proxy.Url);
        await using var _ = h;
        await WarmAsync(name, "2.0.0", errorRate: 0.001);
        await WarmAsync(name, "3.0.0", errorRate: 0.001);

        proxy.FailNext(3);
        var recovered = await h.WaitForStatusAsync((await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId, DeploymentStatuses.Succeeded, seconds: 90);
        Assert.Equal(3, proxy.Failed);
        var results = recovered.Release!.Analysis.Select(a => a.Result).ToList();
        Assert.Equal([AnalysisOutcomes.Error, AnalysisOutcomes.Error, AnalysisOutcomes.Error, AnalysisOutcomes.Successful, AnalysisOutcomes.Successful], results);
        Assert.Contains("503", recovered.Release.Analysis[0].Message, StringComparison.Ordinal);
        var summary = Assert.Single(recovered.Release.AnalysisRuns!).Metrics.Single();
        Assert.Equal((AnalysisOutcomes.Successful, 2, 3), (summary.Phase, summary.Count, summary.Error));

        proxy.FailNext(5);
        var id = (await h.DeployAsync(name, "prod", "3.0.0")).DeploymentId;
        var failed = await h.WaitForStatusAsync(id, DeploymentStatuses.RolledBack, seconds: 90);
        Assert.Equal(8, proxy.Failed);
        Assert.Equal(5, failed.Release!.Analysis.Count(a => a.Result == AnalysisOutcomes.Error));
        Assert.Contains("analysis error (step 2)", failed.Message, StringComparison.Ordinal);
        Assert.Contains("5 consecutive errors, more than consecutiveErrorLimit 4", failed.Message, StringComparison.Ordinal);
        var desired = (await h.DesiredAsync(repo, "prod"))!;
        Assert.Equal(("2.0.0", 100), (desired.Find(Tracks.Stable)!.Version, desired.Find(Tracks.Stable)!.Weight));
    }

    [Fact]
    public async Task With_failure_action_pause_a_failed_analysis_holds_the_release_and_an_abort_leaves_git_and_both_clusters_at_stable()
    {
        var (h, name, repo) = await StartAsync(Canary("""
                    successCondition: result[0] >= 0.95
            """, "  failureAction: pause"));
        await using var _ = h;
        await WarmAsync(name, "2.0.0", errorRate: 0.4);
        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;

        var paused = await h.WaitForStatusAsync(id, DeploymentStatuses.Paused, seconds: 60);
        Assert.Equal(AnalysisOutcomes.Failed, Assert.Single(paused.Release!.AnalysisRuns!).Phase);
        Assert.Contains("failureAction pause", paused.Message, StringComparison.Ordinal);
        var held = (await h.DesiredAsync(repo, "prod"))!;
        Assert.Equal(("2.0.0", 20), (held.Find(Tracks.Canary)!.Version, held.Find(Tracks.Canary)!.Weight)); // not rolled back

        await h.ControlAsync(id, DeploymentControls.Abort);
        var aborted = await h.WaitForStatusAsync(id, DeploymentStatuses.Aborted, seconds: 60);
        Assert.Equal(new TrafficWeights(100, 0), aborted.Release!.Weights);
        var desired = (await h.DesiredAsync(repo, "prod"))!;
        Assert.Equal(("1.0.0", 100), (desired.Find(Tracks.Stable)!.Version, desired.Find(Tracks.Stable)!.Weight));
        Assert.Equal(0, desired.Find(Tracks.Canary)!.Weight);
        var head = await h.Git.GetHeadAsync(repo, "main", CancellationToken.None);
        foreach (var cluster in new[] { "local-east", "local-west" })
        {
            // No drift: every cluster of the environment applied Git's head and serves the stable version only.
            await Eventually.TrueAsync(() => Task.FromResult(h.Fleet.Get(cluster).AppliedRevision(name, name) == head), TimeSpan.FromSeconds(20), $"{cluster} to apply the rollback");
            var traffic = h.Fleet.Get(cluster).Traffic().Where(t => t.App == name).ToDictionary(t => t.Version, t => t.RequestsPerSecond);
            Assert.Equal(0, traffic.GetValueOrDefault("2.0.0"));
            Assert.True(traffic["1.0.0"] > 0, $"{cluster} serves 1.0.0");
        }
    }

    [Fact]
    public async Task An_analysis_template_copied_from_argo_rollouts_documentation_runs_unchanged_from_the_deployment_repository()
    {
        var environments = (string name) => $$"""
            - name: prod
              strategy:
                type: canary
                steps:
                  - setWeight: 20
                  - analysis:
                      templates:
                      - templateName: success-rate
                      args:
                      - name: service-name
                        value: {{name}}-2.0.0.{{name}}.svc.cluster.local
            """;
        var (h, name, repo) = await StartAsync(string.Empty, shape: environments, beforeStable: async (h, name, repo) =>
        {
            // Without the template in the repository the deployment is refused, naming the step's field, and nothing starts.
            var missing = await Assert.ThrowsAsync<ProblemException>(() => h.DeployAsync(name, "prod", "1.0.0"));
            Assert.Equal(422, missing.Status);
            Assert.Contains(missing.Errors!, e => e.Key.EndsWith(".strategy.steps[1].analysis.templates[0].templateName", StringComparison.Ordinal) && e.Value[0].Contains("no AnalysisTemplate named 'success-rate'", StringComparison.Ordinal));

            var yaml = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Deployments", "Analysis", "Resources", "argo-docs-success-rate.yaml"));
            await h.Git.CreateRepositoryAsync(repo, null, CancellationToken.None);
            await h.Git.CommitAsync(repo, "main", [new GitChange("analysis/success-rate.yaml", yaml)], "Add Argo Rollouts' success-rate template", new GitAuthor("jane", "jane@example.com"), null, CancellationToken.None);
        });
        await using var _ = h;
        await WarmAsync(name, "2.0.0", errorRate: 0.001);
        await Eventually.ValueAsync(async () => await prometheus.QueryAsync($"sum(irate(istio_requests_total{{destination_service=~\"{name}-2.0.0.{name}.svc.cluster.local\"}}[5m]))") is { } r ? (object)r : null, TimeSpan.FromSeconds(30), "Prometheus to rate the Istio series");
        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;
        var done = await h.WaitForStatusAsync(id, DeploymentStatuses.Succeeded, seconds: 60);

        var measured = Assert.Single(done.Release!.Analysis);
        Assert.Equal(("success-rate", AnalysisOutcomes.Successful, "result >= 0.95"), (measured.Metric, measured.Result, measured.Condition));
        Assert.True(measured.Value > 0.95, $"success rate {measured.Value}");
        Assert.Contains("http://prometheus.example.com:9090 is not in Metrics:AllowedAnalysisAddresses", measured.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_background_analysis_from_its_starting_step_aborts_the_canary_when_the_canary_goes_bad_during_a_pause()
    {
        var (h, name, repo) = await StartAsync($$"""
            - name: prod
              strategy:
                type: canary
                metrics:
                  - name: success
                    query: {{SuccessQuery}}
                    successCondition: result[0] >= 0.95
                    interval: 500ms
                    failureLimit: 1
                analysis:
                  templates: [success]
                  startingStep: 1
                steps:
                  - setWeight: 20
                  - pause: {duration: 1m}
                  - setWeight: 50
            """);
        await using var _ = h;
        await WarmAsync(name, "2.0.0", errorRate: 0.001);
        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;

        // Measured alongside the pause while the canary is healthy ...
        var measuring = await h.WaitForAsync(id, r => r.Release?.Analysis.Count(a => a.Analysis == "background" && a.Result == AnalysisOutcomes.Successful) >= 2, "the background analysis to measure during the pause");
        Assert.Equal(2, measuring.Release!.CurrentStep);
        Assert.Equal(AnalysisOutcomes.Running, measuring.Release.AnalysisRuns!.Single(r => r.Name == "background").Phase);

        // ... and it aborts the release once the canary fails more than failureLimit times, long before the pause ends.
        prometheus.Metrics.Set(name, name, "2.0.0", rps: 40, errorRate: 0.5, latencySeconds: 0.05);
        var aborted = await h.WaitForStatusAsync(id, DeploymentStatuses.Aborted, seconds: 45);
        Assert.StartsWith("aborted by background analysis: analysis failed (background): success: 2 failed measurement(s), more than failureLimit 1", aborted.Message, StringComparison.Ordinal);
        Assert.Equal(AnalysisOutcomes.Failed, aborted.Release!.AnalysisRuns!.Single(r => r.Name == "background").Phase);
        var desired = (await h.DesiredAsync(repo, "prod"))!;
        Assert.Equal(("1.0.0", 100, 0), (desired.Find(Tracks.Stable)!.Version, desired.Find(Tracks.Stable)!.Weight, desired.Find(Tracks.Canary)!.Weight));
    }

    [Fact]
    public async Task A_blue_green_post_promotion_analysis_that_fails_switches_back_in_one_commit()
    {
        var (h, name, repo) = await StartAsync($$"""
            - name: prod
              strategy:
                type: blueGreen
                scaleDownDelay: 5m
                metrics:
                  - name: success
                    query: {{SuccessQuery}}
                    successCondition: result[0] >= 0.95
                postPromotionAnalysis: {templates: [success]}
            """);
        await using var _ = h;
        await WarmAsync(name, "2.0.0", errorRate: 0.5);
        var id = (await h.DeployAsync(name, "prod", "2.0.0")).DeploymentId;

        var back = await h.WaitForStatusAsync(id, DeploymentStatuses.RolledBack, seconds: 60);
        Assert.StartsWith("switched back to 1.0.0: analysis failed (post-promotion): success: 1 failed measurement(s)", back.Message, StringComparison.Ordinal);
        Assert.Equal(AnalysisOutcomes.Failed, Assert.Single(back.Release!.AnalysisRuns!).Phase);
        var desired = (await h.DesiredAsync(repo, "prod"))!;
        Assert.Equal(("blue", "1.0.0"), (desired.ActiveColor, desired.ServingVersion));
        var commits = await h.CommitsOfAsync(repo, id);
        Assert.StartsWith($"Switch {name} in prod back to blue (1.0.0): analysis failed (post-promotion)", commits[^1].Message, StringComparison.Ordinal);
    }
}
