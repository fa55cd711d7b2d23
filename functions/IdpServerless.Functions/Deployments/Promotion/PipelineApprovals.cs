using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Orchestrations;

namespace IdpServerless.Functions.Deployments.Promotion;

/// <summary>The approvals a deployment waits for under a stage's policy, and those it has (distinct people, never the requester).</summary>
public sealed record ApprovalState(int Required, IReadOnlyList<string> From, IReadOnlyList<string> ApprovedBy, string? Reason)
{
    public int Missing => Math.Max(0, Required - ApprovedBy.Count);

    public string Describe() => From.Count == 0 ? "anyone allowed to approve" : string.Join(", ", From);
}

/// <summary>
/// The approval wait of a deployment whose plan carries an <see cref="ApprovalPolicy"/> (orchestrator code:
/// deterministic). It goes on once <see cref="ApprovalPolicy.Required"/> distinct people approved; an approval by the
/// requester or a second one by the same person changes nothing (the API refuses both before they get here); one
/// rejection or abort stops the deployment.
/// </summary>
public static class PipelineApprovals
{
    /// <summary>Null when approved (go on), else how the deployment ended.</summary>
    public static async Task<FlowResult?> WaitAsync(ReleaseRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var plan = run.Plan;
        var policy = plan.Approvals!;
        var approved = new List<string>(run.Record.Approval?.ApprovedBy ?? []);
        var deadline = run.Now + plan.ApprovalTimeout;
        while (true)
        {
            var control = await run.NextControlAsync(deadline);
            var comment = control?.Comment is { } c ? $": {c}" : string.Empty;
            switch (control?.Action)
            {
                case null:
                    run.FinishStep("Failed", "no approval in time");
                    return new FlowResult(DeploymentStatuses.Aborted, $"approval expired after {Durations.Format(plan.ApprovalTimeout)} ({approved.Count} of {policy.Required} approvals)");
                case DeploymentControls.Approve when string.Equals(control.By, plan.RequestedBy, StringComparison.Ordinal) || approved.Contains(control.By, StringComparer.Ordinal):
                    break;
                case DeploymentControls.Approve:
                    approved.Add(control.By);
                    run.Update(r => r with { Approval = new ApprovalState(policy.Required, policy.From, approved.ToList(), policy.Reason) });
                    if (approved.Count >= policy.Required)
                    {
                        run.FinishStep("Succeeded", $"approved by {string.Join(", ", approved)}{comment}");
                        await run.SaveAsync(DeploymentStatuses.Running, $"approved by {string.Join(", ", approved)}");
                        return null;
                    }

                    await run.SaveAsync(DeploymentStatuses.WaitingForApproval, Waiting(policy, approved));
                    break;
                case DeploymentControls.Reject or DeploymentControls.Abort:
                    var verb = control.Action == DeploymentControls.Reject ? "rejected" : "aborted";
                    run.FinishStep("Failed", $"{verb} by {control.By}{comment}");
                    return new FlowResult(DeploymentStatuses.Aborted, $"{verb} by {control.By}{comment}");
            }
        }
    }

    public static string Waiting(ApprovalPolicy policy, IReadOnlyList<string> approved)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(approved);
        var missing = policy.Required - approved.Count;
        return $"needs {missing} more approval{(missing == 1 ? string.Empty : "s")} from {policy.Describe()}" +
               (approved.Count > 0 ? $" (approved by {string.Join(", ", approved)})" : string.Empty);
    }

    /// <summary>
    /// The approvals a new deployment needs under its stage's pipeline: the stage's policy, or, during a freeze, one
    /// approval even where the stage is unprotected (rollbacks never wait). Null: the stage's plain protection applies.
    /// </summary>
    public static ApprovalPolicy? For(DeliveryEnvironment env, string kind, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (kind == DeploymentKinds.Rollback || env.Pipeline is not { } pipeline)
        {
            return null;
        }

        var frozen = FreezeCalendar.ActiveAt(pipeline.Freeze, now);
        if (pipeline.Approvals is null && frozen is null)
        {
            return null;
        }

        var policy = pipeline.Approvals ?? new ApprovalPolicy(1, env.Protection.Approvers);
        var reason = frozen is { } f
            ? $"{env.Name} is frozen until {f.Until:yyyy-MM-dd HH:mm} UTC ({f.Reason}): {Waiting(policy, [])}"
            : $"{env.Name} {Waiting(policy, [])}";
        return policy with { Reason = reason };
    }
}
