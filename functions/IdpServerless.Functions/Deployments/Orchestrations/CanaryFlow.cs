using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Notifications;

namespace IdpServerless.Functions.Deployments.Orchestrations;

/// <summary>
/// Canary: the new version runs beside the stable one and gets the traffic share each set-weight step commits to the
/// HTTPRoute; pauses wait (for a time or for a promote); analyses measure the canary and roll back on failure. Every
/// step ends in Git: a rollback leaves the stable version with the canary at weight 0.
/// </summary>
public static class CanaryFlow
{
    public static async Task<FlowResult> RunAsync(ReleaseRun run, DesiredState? previous, string window)
    {
        var p = run.Plan;
        if (previous?.ServingVersion is not { } stable || stable == p.Version)
        {
            // Nothing to compare against: the first release (or a redeploy) goes straight out.
            return await RollingFlow.RunAsync(run, previous);
        }

        var steps = p.Environment.Strategy.Steps;
        var release = new ReleaseState(StrategyTypes.Canary, stable, p.Version, new TrafficWeights(100, 0), 0, steps.Count, null, null, []);
        var weight = 0;
        var shape = CanaryShape.For(p);
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            release = release with { CurrentStep = i + 1 };
            if (p.Environment.Strategy.BackgroundAnalysis is { Metrics: not null } background && run.Background is null && i >= (background.StartingStep ?? 0))
            {
                run.Background = new Analysis.BackgroundAnalysis(background, window, run.Now); // runs alongside the steps from here
            }

            var outcome = ControlOutcome.Continue;
            if (step.SetWeight is { } w)
            {
                weight = w;
                shape = shape with { Weight = w };
                var subject = $"Canary {p.App} {p.Version} in {p.Environment.Name}: weight {w}% (step {i + 1}/{steps.Count})";
                run.StartStep(step.Describe(), subject);
                release = release with { Weights = new TrafficWeights(100 - w, w) };
                await run.SaveAsync(release: release);
                var sha = await run.CommitAsync(shape.Render(p, stable), subject);
                var (ok, message) = await run.WaitRolloutAsync(sha, requireHealthy: true);
                if (!ok)
                {
                    run.FinishStep("Failed", message);
                    return await RollBackAsync(run, release, shape, stable, DeploymentStatuses.RolledBack, message!);
                }

                run.FinishStep("Succeeded", $"{w}% of traffic on {p.Version}");
            }
            else if (step.Pause is { } pause)
            {
                run.StartStep(step.Describe());
                await run.SaveAsync(release: release);
                outcome = await run.WaitWithControlsAsync(pause.Duration is { } d ? run.Now + d : null, $"canary at {weight}%: waiting for promote");
                run.FinishStep(outcome == ControlOutcome.Abort ? "Failed" : "Succeeded", Describe(outcome, run));
            }
            else if (step.Analysis is { } analysis)
            {
                string? failure;
                (release, outcome, failure) = analysis.Metrics is not null
                    ? await Analysis.AnalysisGate.RunAsync(run, release, analysis, window, $"step {i + 1}")
                    : await AnalyseAsync(run, release, analysis, window); // plans scheduled before Argo's semantics replay this
                if (failure is not null)
                {
                    return await RollBackAsync(run, release, shape, stable, DeploymentStatuses.RolledBack, failure);
                }
            }
            else if (CanarySteps.Handles(step))
            {
                var r = await CanarySteps.RunAsync(run, step, shape, release, stable, window);
                (shape, release, outcome) = (r.Shape, r.Release, r.Outcome);
                if (r.Failure is not null)
                {
                    return await RollBackAsync(run, release, shape, stable, DeploymentStatuses.RolledBack, r.Failure);
                }
            }

            if (outcome == ControlOutcome.Abort)
            {
                var by = run.LastControl?.By ?? "system";
                return await RollBackAsync(run, release, shape, stable, DeploymentStatuses.Aborted, $"aborted by {by}" + (run.LastControl?.Comment is { } c ? $": {c}" : string.Empty));
            }

            if (outcome == ControlOutcome.PromoteFull)
            {
                break;
            }
        }

        run.Background?.Stop(run.Now, "the canary completed its steps");

        // Full promotion: the canary version becomes stable and takes all traffic.
        var final = $"Promote {p.App} {p.Version} in {p.Environment.Name}: 100% (stable was {stable})";
        run.StartStep("promote", final);
        release = release with { Weights = new TrafficWeights(0, 100), CurrentStep = steps.Count };
        await run.SaveAsync(release: release);
        var promoted = DesiredState.Rolling(p.Component, p.App, p.Environment.Name, p.Image, p.Version, p.Environment.Replicas) with { Strategy = StrategyTypes.Canary };
        var finalSha = await run.CommitAsync(promoted, final);
        var (done, why) = await run.WaitRolloutAsync(finalSha, requireHealthy: true);
        if (!done)
        {
            run.FinishStep("Failed", why);
            return await RollBackAsync(run, release, shape, stable, DeploymentStatuses.RolledBack, why!);
        }

        run.FinishStep("Succeeded", $"{p.Version} takes all traffic");
        await run.SaveAsync(release: release);
        return new FlowResult(DeploymentStatuses.Succeeded, $"{p.Version} promoted to 100% in {p.Environment.Name}");
    }

    private static async Task<(ReleaseState Release, ControlOutcome Outcome, string? Failure)> AnalyseAsync(ReleaseRun run, ReleaseState release, AnalysisStep analysis, string window)
    {
        var p = run.Plan;
        run.StartStep($"analysis {string.Join(",", analysis.Templates)}", $"{analysis.Count} measurements every {Durations.Format(analysis.Interval)}, failure limit {analysis.FailureLimit}");
        await run.SaveAsync(release: release);
        var (failed, inconclusive) = (0, 0);
        for (var m = 0; m < analysis.Count; m++)
        {
            if (m > 0 || analysis.Interval > TimeSpan.Zero)
            {
                var waited = await run.WaitWithControlsAsync(run.Now + analysis.Interval, "analysis paused");
                if (waited != ControlOutcome.Continue)
                {
                    run.FinishStep(waited == ControlOutcome.Abort ? "Failed" : "Succeeded", Describe(waited, run));
                    return (release, waited, null);
                }
            }

            var results = await run.MeasureAsync(analysis, p.Version, window);
            release = release with { Analysis = [.. release.Analysis, .. results] };
            if (results.Any(r => r.Result == AnalysisOutcomes.Failed))
            {
                failed++;
            }
            else if (results.Any(r => r.Result == AnalysisOutcomes.Inconclusive))
            {
                inconclusive++;
            }

            await run.SaveAsync(release: release);
            if (failed > analysis.FailureLimit)
            {
                var why = string.Join("; ", results.Where(r => r.Result == AnalysisOutcomes.Failed).Select(r => $"{r.Metric} = {Format(r.Value)} (threshold {Format(r.Threshold)})"));
                var message = $"analysis failed {failed} time(s), limit {analysis.FailureLimit}: {why}";
                run.FinishStep("Failed", message);
                return (release, ControlOutcome.Abort, message);
            }

            if (inconclusive > analysis.InconclusiveLimit)
            {
                var why = string.Join("; ", results.Where(r => r.Result == AnalysisOutcomes.Inconclusive).Select(r => $"{r.Metric}: {r.Message}"));
                run.FinishStep("Inconclusive", why);
                var outcome = await run.WaitWithControlsAsync(null, $"analysis inconclusive ({why}): promote to go on or abort");
                return (release, outcome == ControlOutcome.Continue ? ControlOutcome.Promote : outcome, null);
            }
        }

        run.FinishStep("Succeeded", $"{analysis.Count - failed - inconclusive}/{analysis.Count} measurements successful");
        return (release, ControlOutcome.Continue, null);
    }

    private static async Task<FlowResult> RollBackAsync(ReleaseRun run, ReleaseState release, CanaryShape shape, string stable, string status, string reason)
    {
        var p = run.Plan;
        run.Background?.Stop(run.Now, $"the release is rolled back ({reason})");
        var subject = $"Roll back canary {p.App} {p.Version} in {p.Environment.Name}: {stable} at 100%, canary at weight 0 ({reason})";
        run.StartStep("rollback", subject);
        release = release with { Weights = new TrafficWeights(100, 0) };
        await run.SaveAsync(message: reason, release: release);
        var (ok, message) = await CanarySteps.RollBackAsync(run, shape, stable, subject);
        run.FinishStep(ok ? "Succeeded" : "Failed", ok ? $"stable {stable} takes all traffic" : message);
        await run.NotifyAsync(NotificationEvents.DeploymentRolledBack, $"{p.App} {p.Version} rolled back in {p.Environment.Name}", p.Environment.Name.StartsWith("prod", StringComparison.Ordinal) ? "critical" : "warning", reason);
        await CanarySteps.ScaleDownAfterAbortAsync(run, shape, stable);
        return new FlowResult(status, reason);
    }

    private static string Describe(ControlOutcome outcome, ReleaseRun run) => outcome switch
    {
        ControlOutcome.Continue => "done",
        ControlOutcome.Promote => $"promoted by {run.LastControl?.By}",
        ControlOutcome.PromoteFull => $"fully promoted by {run.LastControl?.By}",
        _ => $"aborted by {run.LastControl?.By}",
    };

    private static string Format(double? v) => v is { } x ? x.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) : "no data";
}
