using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Judgement;
using IdpServerless.Functions.Deployments.Model;
using Microsoft.DurableTask;

namespace IdpServerless.Functions.Deployments.Orchestrations;

/// <summary>
/// What a canary release currently asks of Git: the traffic weight, a scale override (<c>setCanaryScale</c>), whether a
/// baseline runs (any <c>judgement</c> step), and the header routes. Plans without those render exactly what
/// <see cref="DesiredState.Canary"/> renders, so releases scheduled before them commit the same files.
/// </summary>
/// <param name="ScaleReplicas">Canary replicas fixed by <c>setCanaryScale: {replicas}</c>.</param>
/// <param name="ScaleWeight">Canary replicas as a share of the environment's by <c>setCanaryScale: {weight}</c>.</param>
public sealed record CanaryShape(int Weight, int? ScaleReplicas, int? ScaleWeight, bool Baseline, IReadOnlyList<HeaderRoute> Routes)
{
    public static CanaryShape For(DeploymentPlan plan) =>
        new(0, null, null, plan.Environment.Strategy.Steps.Any(s => s.Judgement is not null), []);

    public int CanaryReplicas(int replicas) => ScaleReplicas ?? Share(replicas, ScaleWeight ?? Weight);

    /// <summary>
    /// Stable keeps its full size; the canary gets <see cref="Weight"/>; the baseline (the stable version at the
    /// canary's size) gets the same weight, taken from the stable's share (so at most half the traffic each).
    /// </summary>
    public DesiredState Render(DeploymentPlan p, string stable)
    {
        var replicas = p.Environment.Replicas;
        var canary = CanaryReplicas(replicas);
        var baselineWeight = Baseline ? Math.Min(Weight, 100 - Weight) : 0;
        var tracks = new List<Track>
        {
            new(Tracks.Stable, stable, replicas, 100 - Weight - baselineWeight),
            new(Tracks.Canary, p.Version, canary, Weight),
        };
        if (Baseline)
        {
            tracks.Add(new Track(Tracks.Baseline, stable, canary, baselineWeight));
        }

        return new DesiredState(p.Component, p.App, p.Environment.Name, p.Image, StrategyTypes.Canary, tracks, null, Routes.Count > 0 ? Routes : null);
    }

    private static int Share(int total, int weight) => weight == 0 ? 0 : Math.Max(1, (int)Math.Ceiling(total * weight / 100.0));
}

/// <summary>What a canary step handled here ended with; <see cref="Failure"/> set means roll back.</summary>
public sealed record CanaryStepResult(CanaryShape Shape, ReleaseState Release, ControlOutcome Outcome, string? Failure);

/// <summary>
/// The canary steps beyond set-weight, pause and analysis: <c>judgement</c> (Kayenta), <c>setCanaryScale</c> and
/// <c>setHeaderRoute</c> (Argo Rollouts), and the rollback with Argo's abort scale-down delay. Orchestrator code.
/// </summary>
public static class CanarySteps
{
    private static readonly TaskOptions Retried = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(20)));

    public static bool Handles(CanaryStep step) => step.Judgement is not null || step.SetCanaryScale is not null || step.SetHeaderRoute is not null;

    public static Task<CanaryStepResult> RunAsync(ReleaseRun run, CanaryStep step, CanaryShape shape, ReleaseState release, string stable, string window) => step switch
    {
        { Judgement: { } j } => JudgeAsync(run, step, j, shape, release, stable, window),
        { SetCanaryScale: { } c } => CommitShapeAsync(run, step, Scale(shape, c), release, stable, ScaleSubject(run, shape, c)),
        { SetHeaderRoute: { } h } => CommitShapeAsync(run, step, Route(shape, h), release, stable, RouteSubject(run, h)),
        _ => throw new InvalidOperationException($"{step.Describe()} is not handled here"),
    };

    public static CanaryShape Scale(CanaryShape shape, CanaryScaleStep c) => c.MatchTrafficWeight
        ? shape with { ScaleReplicas = null, ScaleWeight = null }
        : shape with { ScaleReplicas = c.Replicas, ScaleWeight = c.Replicas is null ? c.Weight : null };

    public static CanaryShape Route(CanaryShape shape, HeaderRouteStep h)
    {
        var routes = shape.Routes.Where(r => r.Name != h.Name).ToList();
        if (h.Match.Count > 0)
        {
            routes.Add(new HeaderRoute(h.Name, h.Match));
        }

        return shape with { Routes = routes };
    }

    /// <summary>
    /// Rolls back in Git: the stable version takes all traffic, baseline and header routes go. With an abort scale-down
    /// delay the canary keeps its replicas (at weight 0) until <see cref="ScaleDownAfterAbortAsync"/>.
    /// </summary>
    public static async Task<(bool Ok, string? Message)> RollBackAsync(ReleaseRun run, CanaryShape shape, string stable, string subject)
    {
        var p = run.Plan;
        var keep = p.Environment.Strategy.AbortScaleDownDelay > TimeSpan.Zero ? shape.CanaryReplicas(p.Environment.Replicas) : (int?)null;
        var sha = await run.CommitAsync(new CanaryShape(0, keep, null, false, []).Render(p, stable), subject);
        return await run.WaitRolloutAsync(sha, requireHealthy: false);
    }

    /// <summary>
    /// After the rollback (and its notification): the canary's pods stay up for the abort scale-down delay, then a
    /// second commit scales them to 0. Nothing to do without a delay or without canary pods.
    /// </summary>
    public static async Task ScaleDownAfterAbortAsync(ReleaseRun run, CanaryShape shape, string stable)
    {
        var p = run.Plan;
        var delay = p.Environment.Strategy.AbortScaleDownDelay;
        var kept = shape.CanaryReplicas(p.Environment.Replicas);
        if (delay <= TimeSpan.Zero || kept == 0)
        {
            return;
        }

        run.StartStep("abortScaleDownDelay", $"the canary's {kept} pod(s) stay up {Durations.Format(delay)} after the abort");
        await run.SaveAsync();
        var until = run.Now + delay;
        // Bounded: each timer ends at or after its due time, give or take the queues' one-second granularity.
        for (var tries = 0; run.Now < until && tries < 5; tries++)
        {
            await run.Context.CreateTimer(until.UtcDateTime, CancellationToken.None);
        }

        var sha = await run.CommitAsync(new CanaryShape(0, null, null, false, []).Render(p, stable),
            $"Scale down canary {p.App} {p.Version} in {p.Environment.Name} to 0 ({Durations.Format(delay)} after the abort)");
        var (ok, message) = await run.WaitRolloutAsync(sha, requireHealthy: false);
        run.FinishStep(ok ? "Succeeded" : "Failed", ok ? $"canary {p.Version} scaled to 0" : message);
    }

    private static async Task<CanaryStepResult> CommitShapeAsync(ReleaseRun run, CanaryStep step, CanaryShape shape, ReleaseState release, string stable, string subject)
    {
        run.StartStep(step.Describe(), subject);
        await run.SaveAsync(release: release);
        var sha = await run.CommitAsync(shape.Render(run.Plan, stable), subject);
        var (ok, message) = await run.WaitRolloutAsync(sha, requireHealthy: true);
        if (!ok)
        {
            run.FinishStep("Failed", message);
            return new(shape, release, ControlOutcome.Abort, message);
        }

        run.FinishStep("Succeeded", subject);
        return new(shape, release, ControlOutcome.Continue, null);
    }

    private static async Task<CanaryStepResult> JudgeAsync(ReleaseRun run, CanaryStep step, JudgementStep j, CanaryShape shape, ReleaseState release, string stable, string window)
    {
        var p = run.Plan;
        run.StartStep(step.Describe(), $"canary {p.Version} against baseline {stable} over {Durations.Format(j.Lifetime)}, a sample every {Durations.Format(j.Interval)}");
        await run.SaveAsync(release: release);
        var from = run.Now;
        var waited = await run.WaitWithControlsAsync(from + j.Lifetime, "judgement paused");
        if (waited != ControlOutcome.Continue)
        {
            run.FinishStep(waited == ControlOutcome.Abort ? "Failed" : "Succeeded", waited == ControlOutcome.Abort ? $"aborted by {run.LastControl?.By}" : $"promoted by {run.LastControl?.By}");
            return new(shape, release, waited, null);
        }

        var report = await run.Context.CallActivityAsync<JudgementReport>(JudgementFunctions.Judge,
            new JudgeInput(p.App, p.Namespace, p.Version, stable, j, window, from, run.Now), Retried);
        release = release with { Judgement = report };
        await run.SaveAsync(release: release);
        var why = report.Explain();
        switch (report.Outcome)
        {
            case JudgementOutcomes.Pass:
                run.FinishStep("Succeeded", why);
                return new(shape, release, ControlOutcome.Continue, null);
            case JudgementOutcomes.Fail:
                run.FinishStep("Failed", why);
                return new(shape, release, ControlOutcome.Abort, why);
            default:
                // Marginal (or nothing measured): a human decides. Kayenta would fail a final marginal score; we ask.
                run.FinishStep("Inconclusive", why);
                var outcome = await run.WaitWithControlsAsync(null, $"{why}: promote to go on or abort");
                return new(shape, release, outcome == ControlOutcome.Continue ? ControlOutcome.Promote : outcome, null);
        }
    }

    private static string ScaleSubject(ReleaseRun run, CanaryShape shape, CanaryScaleStep c)
    {
        var p = run.Plan;
        var replicas = Scale(shape, c).CanaryReplicas(p.Environment.Replicas);
        return $"Scale canary {p.App} {p.Version} in {p.Environment.Name} to {replicas} replica(s)" +
               (c.MatchTrafficWeight ? " (matching its traffic weight)" : string.Empty) + $"; traffic stays at {shape.Weight}%";
    }

    private static string RouteSubject(ReleaseRun run, HeaderRouteStep h)
    {
        var p = run.Plan;
        return h.Match.Count == 0
            ? $"Remove header route {h.Name} of {p.App} in {p.Environment.Name}"
            : $"Header route {h.Name} of {p.App} in {p.Environment.Name}: {string.Join(" and ", h.Match.Select(m => $"{m.HeaderName} {m.Type} '{m.Value}'"))} to canary {p.Version}";
    }
}
