using IdpServerless.Functions.Deployments.GitOps;

namespace IdpServerless.Functions.Deployments.Orchestrations;

/// <summary>Rolling: one commit of the new image tag, wait for sync and health; on failure revert to what ran before and fail with the reason.</summary>
public static class RollingFlow
{
    public static async Task<FlowResult> RunAsync(ReleaseRun run, DesiredState? previous)
    {
        var p = run.Plan;
        var target = previous is null
            ? DesiredState.Rolling(p.Component, p.App, p.Environment.Name, p.Image, p.Version, p.Environment.Replicas)
            : previous with
            {
                Image = p.Image,
                Strategy = previous.Strategy,
                Tracks = [new Track(previous.ActiveColor ?? Tracks.Stable, p.Version, p.Environment.Replicas, 100)],
            };
        return await DeployAndVerifyAsync(run, previous, target, $"Deploy {p.App} {p.Version} to {p.Environment.Name}");
    }

    /// <summary>Commits <paramref name="target"/>, waits for it; reverts to <paramref name="previous"/> when it does not become healthy.</summary>
    public static async Task<FlowResult> DeployAndVerifyAsync(ReleaseRun run, DesiredState? previous, DesiredState target, string subject)
    {
        var p = run.Plan;
        run.StartStep("commit", subject);
        var sha = await run.CommitAsync(target, subject);
        run.FinishStep("Succeeded", $"committed {sha[..Math.Min(8, sha.Length)]} to {p.Environment.DesiredState.Repository}");
        run.StartStep("rollout", $"waiting for sync and health (deadline {Model.Durations.Format(p.Environment.ProgressDeadline)})");
        await run.SaveAsync();
        var (ok, message) = await run.WaitRolloutAsync(sha, requireHealthy: true);
        if (ok)
        {
            run.FinishStep("Succeeded", "synced and healthy");
            return new FlowResult(DeploymentStatuses.Succeeded, $"{p.Version} is running in {p.Environment.Name}");
        }

        run.FinishStep("Failed", message);
        await RevertAsync(run, previous, message!);
        return new FlowResult(DeploymentStatuses.Failed, message);
    }

    /// <summary>Puts back what ran before (or scales the new version to zero when nothing did) and waits for the sync.</summary>
    public static async Task RevertAsync(ReleaseRun run, DesiredState? previous, string reason)
    {
        var p = run.Plan;
        var revert = previous ?? DesiredState.Rolling(p.Component, p.App, p.Environment.Name, p.Image, p.Version, 0);
        var subject = previous is null
            ? $"Revert {p.App} {p.Version} in {p.Environment.Name}: scale to zero ({reason})"
            : $"Revert {p.App} in {p.Environment.Name} to {previous.ServingVersion} ({reason})";
        run.StartStep("revert", subject);
        await run.SaveAsync();
        var sha = await run.CommitAsync(revert, subject);
        var (ok, message) = await run.WaitRolloutAsync(sha, requireHealthy: false);
        run.FinishStep(ok ? "Succeeded" : "Failed", ok ? $"reverted in {sha[..Math.Min(8, sha.Length)]}" : message);
    }
}
