using IdpServerless.Functions.Delivery;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Notifications;
using Microsoft.DurableTask;

namespace IdpServerless.Functions.Deployments.Orchestrations;

/// <summary>
/// A release of an environment with waves: the environment's strategy (rolling, blue/green, canary) runs on one wave's
/// clusters at a time with a plan scoped to them (their folders, their CD applications, their metrics), then the wave's
/// own analysis and soak, then an optional pause before the next wave. Clusters of later waves keep the stable version.
/// A failure, rollback or abort in any wave (an activity failing past its retries included) puts every wave already done back to the stable version (the failing wave's
/// flow has already put back its own), so Git and every cluster end where they began. Orchestrator code: deterministic.
/// </summary>
public static class WavesFlow
{
    /// <summary>True when the plan's environment goes wave by wave (and uses one folder per cluster).</summary>
    public static bool IsWaved(DeploymentPlan plan) => plan.Environment.Waves is { Count: > 0 };

    /// <summary>The folders a commit of <paramref name="plan"/> writes: one per cluster it targets; null without waves (the environment's folder).</summary>
    public static IReadOnlyList<string>? Folders(DeploymentPlan plan) =>
        IsWaved(plan) ? plan.Environment.Clusters.Select(c => WaveLayout.Folder(plan.Environment.DesiredState.Path, c.Name)).ToList() : null;

    /// <summary>The CD applications of the clusters <paramref name="plan"/> targets, one per cluster.</summary>
    public static IReadOnlyList<CdApplication> Applications(DeploymentPlan plan) =>
        plan.Environment.Clusters.Select(c => WaveLayout.Application(plan.App, plan.Environment, c)).ToList();

    /// <summary>
    /// What runs now: the first wave's first cluster's folder (every release ends with all clusters alike), or, when it
    /// has none yet, the environment's folder as it was before waves were declared.
    /// </summary>
    public static async Task<DesiredState?> ReadStableAsync(ReleaseRun run)
    {
        var env = run.Plan.Environment;
        return await run.Context.CallActivityAsync<DesiredState?>(DeploymentFunctions.ReadDesiredState, WaveLayout.Location(env, env.Waves![0].Clusters[0]), ReleaseRun.Retried)
            ?? await run.Context.CallActivityAsync<DesiredState?>(DeploymentFunctions.ReadDesiredState, env.DesiredState, ReleaseRun.Retried);
    }

    public static async Task<FlowResult> RunAsync(ReleaseRun run, DesiredState? previous, string window)
    {
        var full = run.Plan;
        var env = full.Environment;
        var waves = env.Waves!;
        var done = new List<ClusterTarget>();
        var states = env.Clusters.Select(c =>
        {
            var (wave, index) = WaveOf(waves, c.Name);
            return new ClusterReleaseState(c.Name, wave.Name, index, WaveStates.Waiting, previous?.ServingVersion, previous?.Tracks ?? [], null, null, null, null, null);
        }).OrderBy(s => s.WaveIndex).ToList();
        run.SetClusters(await ObserveAsync(run, full, states));
        try
        {
            for (var i = 0; i < waves.Count; i++)
            {
                var wave = waves[i];
                var targets = env.Clusters.Where(c => wave.Clusters.Contains(c.Name)).ToList();
                run.StartStep($"wave {wave.Name}", $"wave {i + 1}/{waves.Count}: {string.Join(", ", wave.Clusters)}");
                run.FinishStep("Succeeded", $"wave {i + 1}/{waves.Count} starts on {string.Join(", ", wave.Clusters)}");
                run.SetClusters(Mark(run.Record.Clusters!, wave.Clusters, WaveStates.Progressing));
                run.Scope(full with { Environment = env with { Clusters = targets } });
                await run.SaveAsync();

                try
                {
                    var result = await RunStrategyAsync(run, previous, window);
                    if (result.Status != DeploymentStatuses.Succeeded)
                    {
                        // The wave's flow has put its own clusters back already.
                        return await RollBackAsync(run, full, previous, done, wave, wave.Clusters, result);
                    }

                    done.AddRange(targets);
                    if (await AfterWaveAsync(run, wave, window) is { } stopped)
                    {
                        return await RollBackAsync(run, full, previous, done, wave, [], stopped);
                    }

                    run.Scope(full);
                    run.SetClusters(await ObserveAsync(run, full, Mark(run.Record.Clusters!, wave.Clusters, WaveStates.Succeeded)));
                    await run.SaveAsync();
                }
                catch (TaskFailedException e)
                {
                    // An activity failed past its retries in the middle of the wave: its clusters may be anywhere between
                    // the two versions, so they go back with every wave done before. Should the revert fail too, the
                    // orchestrator records the release as failed.
                    run.FinishStep("Failed", e.Message);
                    var back = done.Concat(targets.Where(t => !done.Contains(t))).ToList();
                    return await RollBackAsync(run, full, previous, back, wave, [], new FlowResult(DeploymentStatuses.Failed, $"{e.TaskName} failed: {e.FailureDetails.ErrorMessage}"));
                }
                if (env.PauseBetweenWaves && i < waves.Count - 1)
                {
                    var next = waves[i + 1];
                    var outcome = await run.WaitWithControlsAsync(null, $"wave {wave.Name} done: promote to start wave {next.Name} ({string.Join(", ", next.Clusters)})");
                    if (outcome == ControlOutcome.Abort)
                    {
                        return await RollBackAsync(run, full, previous, done, wave, [], new FlowResult(DeploymentStatuses.Aborted, Aborted(run)));
                    }
                }
            }
        }
        finally
        {
            run.Scope(full);
        }

        return new FlowResult(DeploymentStatuses.Succeeded, $"{full.Version} is running in {env.Name} on {string.Join(", ", env.Clusters.Select(c => c.Name))} ({waves.Count} waves)");
    }

    /// <summary>The environment's strategy on the plan's clusters, as <see cref="DeploymentOrchestrator"/> picks it for an environment without waves.</summary>
    private static async Task<FlowResult> RunStrategyAsync(ReleaseRun run, DesiredState? previous, string window) =>
        (run.Plan.Kind, run.Plan.Environment.Strategy.Type) switch
        {
            (_, StrategyTypes.BlueGreen) => await BlueGreenFlow.RunAsync(run, previous, window),
            (DeploymentKinds.Rollback, _) => await RollingFlow.RunAsync(run, previous),
            (_, StrategyTypes.Canary) => await CanaryFlow.RunAsync(run, previous, window),
            _ => await RollingFlow.RunAsync(run, previous),
        };

    /// <summary>The wave's analysis and soak on its clusters; the result when they stop the release, null to go on.</summary>
    private static async Task<FlowResult?> AfterWaveAsync(ReleaseRun run, DeliveryWave wave, string window)
    {
        if (wave.Analysis is { } analysis && await AnalyseAsync(run, wave, analysis, window) is { } failed)
        {
            return failed;
        }

        if (wave.Soak is { } soak)
        {
            run.StartStep($"wave {wave.Name} soak", $"{run.Plan.Version} soaks on {string.Join(", ", wave.Clusters)} for {Durations.Format(soak)}");
            await run.SaveAsync();
            var outcome = await run.WaitWithControlsAsync(run.Now + soak, $"wave {wave.Name} soaking");
            run.FinishStep(outcome == ControlOutcome.Abort ? "Failed" : "Succeeded", outcome == ControlOutcome.Abort ? Aborted(run) : "done");
            if (outcome == ControlOutcome.Abort)
            {
                return new FlowResult(DeploymentStatuses.Aborted, Aborted(run));
            }
        }

        return null;
    }

    /// <summary>
    /// The wave's analysis of the new version on its clusters, with the same semantics as a canary step's (Argo Rollouts'
    /// limits and conditions, inconclusive pauses for a human, the environment's <c>failureAction</c>): a failure or an
    /// abort stops the release (every wave done so far is rolled back), promote goes on.
    /// </summary>
    private static async Task<FlowResult?> AnalyseAsync(ReleaseRun run, DeliveryWave wave, AnalysisStep analysis, string window)
    {
        var p = run.Plan;
        var release = run.Record.Release ?? new ReleaseState(p.Environment.Strategy.Type, run.Record.PreviousVersion, p.Version, new TrafficWeights(0, 100), 0, 0, null, null, []);
        var (_, outcome, failure) = await Analysis.AnalysisGate.RunAsync(run, release, analysis, window, $"wave {wave.Name}");
        if (failure is not null)
        {
            return new FlowResult(DeploymentStatuses.RolledBack, failure);
        }

        return outcome == ControlOutcome.Abort ? new FlowResult(DeploymentStatuses.Aborted, Aborted(run)) : null;
    }

    /// <summary>Puts the clusters of the waves already done back to <paramref name="previous"/> in one commit, and ends with <paramref name="result"/>.</summary>
    private static async Task<FlowResult> RollBackAsync(ReleaseRun run, DeploymentPlan full, DesiredState? previous, List<ClusterTarget> done, DeliveryWave failing, IReadOnlyList<string> revertedByFlow, FlowResult result)
    {
        var reason = $"wave {failing.Name}: {result.Message}";
        if (done.Count > 0)
        {
            run.Scope(full with { Environment = full.Environment with { Clusters = done } });
            await RollingFlow.RevertAsync(run, previous, reason);
        }

        run.Scope(full);
        if (revertedByFlow.Count == 0 && result.Status == DeploymentStatuses.RolledBack && full.Environment.Strategy.Type == StrategyTypes.Canary)
        {
            // The orchestrator leaves a canary's rolled-back notice to the canary flow, which did not fail here: send it.
            await run.NotifyAsync(NotificationEvents.DeploymentRolledBack, $"{full.App} {full.Version} rolled back in {full.Environment.Name}", full.Environment.Name.StartsWith("prod", StringComparison.Ordinal) ? "critical" : "warning", reason);
        }

        var back = done.Select(c => c.Name).Concat(revertedByFlow).ToList();
        run.SetClusters(await ObserveAsync(run, full, Mark(run.Record.Clusters!, back, WaveStates.RolledBack)));
        await run.SaveAsync();
        return result with { Message = reason };
    }

    /// <summary>The states with each cluster's folder and CD status read now.</summary>
    private static async Task<List<ClusterReleaseState>> ObserveAsync(ReleaseRun run, DeploymentPlan full, IReadOnlyList<ClusterReleaseState> states)
    {
        var seen = (await run.Context.CallActivityAsync<IReadOnlyList<ClusterObservation>>(WaveFunctions.Observe, new ObserveClustersInput(Applications(full)), ReleaseRun.Retried))
            .ToDictionary(o => o.Cluster, StringComparer.Ordinal);
        return states.Select(s => seen.TryGetValue(s.Cluster, out var o)
            ? s with
            {
                Version = o.Desired?.ServingVersion ?? s.Version,
                Tracks = o.Desired?.Tracks ?? s.Tracks,
                Sync = o.Sync,
                Revision = o.Revision,
                Health = o.Health,
                Message = o.Message,
                ObservedAt = run.Now,
            }
            : s).ToList();
    }

    private static List<ClusterReleaseState> Mark(IReadOnlyList<ClusterReleaseState> states, IReadOnlyList<string> clusters, string state) =>
        states.Select(s => clusters.Contains(s.Cluster) ? s with { State = state } : s).ToList();

    private static (DeliveryWave Wave, int Index) WaveOf(IReadOnlyList<DeliveryWave> waves, string cluster)
    {
        for (var i = 0; i < waves.Count; i++)
        {
            if (waves[i].Clusters.Contains(cluster))
            {
                return (waves[i], i + 1);
            }
        }

        throw new InvalidOperationException($"Cluster '{cluster}' is in no wave (the parser refuses such environments).");
    }

    private static string Aborted(ReleaseRun run) =>
        $"aborted by {run.LastControl?.By ?? "system"}" + (run.LastControl?.Comment is { } c ? $": {c}" : string.Empty);

}
