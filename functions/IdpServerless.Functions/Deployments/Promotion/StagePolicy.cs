using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Functions.Deployments.Promotion;

/// <summary>What a manual rollback of a stage means for auto-promotion into it.</summary>
public static class AfterRollback
{
    /// <summary>Default: nothing is auto-promoted into the stage until a human deploys or promotes there, or unpins it.</summary>
    public const string Hold = "hold";

    /// <summary>Versions other than the one rolled back away from, verified after the rollback, still auto-promote.</summary>
    public const string Newer = "newer";
}

/// <summary>
/// How a stage is promoted into (Kargo's idea): automatically once the version passed verification in
/// <see cref="From"/> (its deployment there succeeded, then <see cref="Soak"/> passed and <see cref="Analysis"/>, when
/// given, measured healthy there).
/// </summary>
/// <param name="Auto">Promote automatically; false = promotions into this stage are started by people.</param>
/// <param name="From">The stage whose verified versions are promoted here (default: the one before in promotion order).</param>
/// <param name="Soak">How long the version must have run in <see cref="From"/> after its deployment succeeded.</param>
/// <param name="Analysis">Analysis measured in <see cref="From"/> after the soak (the stage's metrics, built-ins included).</param>
/// <param name="AfterRollback">One of <see cref="Promotion.AfterRollback"/>.</param>
public sealed record PromotionRule(bool Auto, string From, TimeSpan Soak, AnalysisStep? Analysis, string AfterRollback);

/// <summary>
/// How many distinct people must approve a deployment to the stage, and who may (users, groups or roles as in
/// <see cref="Protection.Approvers"/>; empty = anyone allowed to approve). The requester never approves their own.
/// </summary>
public sealed record ApprovalPolicy(int Required, IReadOnlyList<string> From, string? Reason = null)
{
    public string Describe() => From.Count == 0 ? "anyone allowed to approve" : string.Join(", ", From);
}

/// <summary>
/// A time the stage is frozen: absolute (<see cref="Start"/>..<see cref="End"/>) or recurring (<see cref="Cron"/>, five
/// fields, in <see cref="TimeZone"/>, lasting <see cref="Duration"/> from each occurrence).
/// </summary>
public sealed record FreezeWindow(DateTimeOffset? Start, DateTimeOffset? End, string? Cron, TimeSpan? Duration, string? TimeZone, string? Reason);

/// <summary>A stage's pipeline settings: its promotion rule (null = promoted by hand only), approval policy and freeze windows.</summary>
public sealed record StagePolicy(PromotionRule? Promotion, ApprovalPolicy? Approvals, IReadOnlyList<FreezeWindow> Freeze)
{
    public bool IsEmpty => Promotion is null && Approvals is null && Freeze.Count == 0;
}
