using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Functions.Deployments.Orchestrations;

/// <summary>
/// Blue/green: deploy the new version as the preview colour (no traffic), check it, switch the route to it in one
/// commit (after a promote when the strategy does not auto-promote), keep the old colour running for the scale-down
/// delay — an abort then switches back in one commit — and finally scale the old colour down.
/// </summary>
public static class BlueGreenFlow
{
    public static async Task<FlowResult> RunAsync(ReleaseRun run, DesiredState? previous, string window)
    {
        var p = run.Plan;
        var strategy = p.Environment.Strategy;
        var replicas = p.Environment.Replicas;
        var activeVersion = previous?.ServingVersion;
        if (previous is null || activeVersion is null)
        {
            var first = DesiredState.BlueGreen(p.Component, p.App, p.Environment.Name, p.Image, Tracks.Blue, p.Version, null, replicas, 0);
            return await RollingFlow.DeployAndVerifyAsync(run, null, first, $"Deploy {p.App} {p.Version} to {p.Environment.Name} as blue");
        }

        var active = previous.ActiveColor ?? Tracks.Blue;
        var preview = Tracks.Other(active);
        var release = new ReleaseState(StrategyTypes.BlueGreen, activeVersion, p.Version, new TrafficWeights(100, 0), 1, 3, active, preview, []);

        // A rollback to the version the idle colour still runs is an instant switch: one commit.
        if (previous.Find(preview) is { Replicas: > 0 } idle && idle.Version == p.Version)
        {
            return await SwitchAsync(run, release, previous, active, preview, activeVersion, replicas);
        }

        var subject = $"Blue/green {p.App} {p.Version} in {p.Environment.Name}: preview on {preview}";
        run.StartStep($"deploy {preview} (preview)", subject);
        await run.SaveAsync(release: release);
        var previewState = DesiredState.BlueGreen(p.Component, p.App, p.Environment.Name, p.Image, active, activeVersion, p.Version, replicas, replicas);
        var sha = await run.CommitAsync(previewState, subject);
        var (ok, message) = await run.WaitRolloutAsync(sha, requireHealthy: true);
        if (!ok)
        {
            run.FinishStep("Failed", message);
            await RollingFlow.RevertAsync(run, previous, message!);
            return new FlowResult(DeploymentStatuses.Failed, message);
        }

        run.FinishStep("Succeeded", $"{p.Version} is ready on {preview}");
        if (strategy.PrePromotionAnalysis is { Metrics: not null } argo)
        {
            // Argo Rollouts' semantics (plans accepted since they exist): the preview is measured before the switch.
            var (after, decided, failure) = await Analysis.AnalysisGate.RunAsync(run, release, argo, window, "pre-promotion");
            release = after;
            if (failure is not null || decided == ControlOutcome.Abort)
            {
                var why = failure ?? $"aborted by {run.LastControl?.By}";
                await RollingFlow.RevertAsync(run, previous, why);
                return new FlowResult(failure is null ? DeploymentStatuses.Aborted : DeploymentStatuses.Failed, why);
            }
        }
        else if (strategy.PrePromotionAnalysis is { } analysis)
        {
            run.StartStep("pre-promotion analysis");
            var results = await run.MeasureAsync(analysis, p.Version, window);
            release = release with { Analysis = results };
            var failedMetrics = results.Where(r => r.Result == AnalysisOutcomes.Failed).ToList();
            run.FinishStep(failedMetrics.Count == 0 ? "Succeeded" : "Failed", string.Join("; ", results.Select(r => $"{r.Metric}: {r.Result}")));
            if (failedMetrics.Count > 0)
            {
                var why = $"pre-promotion analysis failed: {string.Join(", ", failedMetrics.Select(r => r.Metric))}";
                await RollingFlow.RevertAsync(run, previous, why);
                return new FlowResult(DeploymentStatuses.Failed, why);
            }
        }

        if (!strategy.AutoPromote)
        {
            release = release with { CurrentStep = 2 };
            await run.SaveAsync(release: release);
            var outcome = await run.WaitWithControlsAsync(null, $"{p.Version} is ready on {preview}: promote to switch traffic");
            if (outcome == ControlOutcome.Abort)
            {
                var why = $"aborted by {run.LastControl?.By}";
                await RollingFlow.RevertAsync(run, previous, why);
                return new FlowResult(DeploymentStatuses.Aborted, why);
            }
        }

        return await SwitchAsync(run, release, previous, active, preview, activeVersion, replicas);
    }

    private static async Task<FlowResult> SwitchAsync(ReleaseRun run, ReleaseState release, DesiredState previous, string active, string preview, string oldVersion, int replicas)
    {
        var p = run.Plan;
        var subject = $"Switch {p.App} in {p.Environment.Name} to {preview} ({p.Version}); {active} keeps {oldVersion} for rollback";
        run.StartStep("switch", subject);
        release = release with { CurrentStep = 2 };
        await run.SaveAsync(release: release);
        var switched = DesiredState.BlueGreen(p.Component, p.App, p.Environment.Name, p.Image, preview, p.Version, oldVersion, replicas, replicas);
        var sha = await run.CommitAsync(switched, subject);
        var (ok, message) = await run.WaitRolloutAsync(sha, requireHealthy: true);
        if (!ok)
        {
            run.FinishStep("Failed", message);
            await RollingFlow.RevertAsync(run, previous, message!);
            return new FlowResult(DeploymentStatuses.Failed, message);
        }

        run.FinishStep("Succeeded", $"{preview} serves {p.Version}");
        release = release with { ActiveColor = preview, PreviewColor = active, Weights = new TrafficWeights(100, 0), CurrentStep = 3, StableVersion = p.Version, CanaryVersion = oldVersion };
        if (p.Environment.Strategy.PostPromotionAnalysis is { Metrics: not null } post)
        {
            // Argo Rollouts' post-promotion analysis: the new colour is measured after the switch; failure switches back.
            var (after, decided, failure) = await Analysis.AnalysisGate.RunAsync(run, release, post, p.AnalysisWindow, "post-promotion");
            release = after;
            if (failure is not null || decided == ControlOutcome.Abort)
            {
                var why = failure ?? $"aborted by {run.LastControl?.By}";
                return await SwitchBackAsync(run, release, switched, active, preview, oldVersion, why, $"switched back to {oldVersion}: {why}");
            }
        }

        var delay = p.Environment.Strategy.ScaleDownDelay;
        run.StartStep($"keep {active}", $"{active} keeps {oldVersion} for {Durations.Format(delay)}: abort switches back at once");
        await run.SaveAsync(release: release);
        var outcome = await run.WaitWithControlsAsync(run.Now + delay, $"{active} keeps {oldVersion}");
        if (outcome == ControlOutcome.Abort)
        {
            var by = run.LastControl?.By;
            run.FinishStep("Succeeded", $"rollback asked by {by}");
            return await SwitchBackAsync(run, release, switched, active, preview, oldVersion, $"aborted by {by}", $"switched back to {oldVersion} by {by}");
        }

        run.FinishStep("Succeeded");
        var down = $"Scale down {active} ({oldVersion}) of {p.App} in {p.Environment.Name}";
        run.StartStep("scale down", down);
        await run.SaveAsync(release: release);
        var downSha = await run.CommitAsync(DesiredState.BlueGreen(p.Component, p.App, p.Environment.Name, p.Image, preview, p.Version, oldVersion, replicas, 0), down);
        var (scaled, reason) = await run.WaitRolloutAsync(downSha, requireHealthy: false);
        run.FinishStep(scaled ? "Succeeded" : "Failed", reason);
        _ = previous;
        return new FlowResult(DeploymentStatuses.Succeeded, $"{p.Version} serves on {preview}");
    }

    /// <summary>One commit gives the old colour all traffic again (it still runs: the scale-down has not happened).</summary>
    private static async Task<FlowResult> SwitchBackAsync(ReleaseRun run, ReleaseState release, DesiredState switched, string active, string preview, string oldVersion, string reason, string result)
    {
        var p = run.Plan;
        var back = $"Switch {p.App} in {p.Environment.Name} back to {active} ({oldVersion}): {reason}";
        run.StartStep("switch back", back);
        await run.SaveAsync(release: release);
        var backSha = await run.CommitAsync(switched with { ActiveColor = active, Tracks = [.. switched.Tracks.Select(t => t with { Weight = t.Name == active ? 100 : 0 })] }, back);
        var (synced, why) = await run.WaitRolloutAsync(backSha, requireHealthy: false);
        run.FinishStep(synced ? "Succeeded" : "Failed", synced ? $"{active} serves {oldVersion} again" : why);
        await run.SaveAsync(release: release with { ActiveColor = active, PreviewColor = preview, StableVersion = oldVersion, CanaryVersion = p.Version });
        return new FlowResult(DeploymentStatuses.RolledBack, result);
    }
}
