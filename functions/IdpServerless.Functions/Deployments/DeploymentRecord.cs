namespace IdpServerless.Functions.Deployments;

/// <summary>Deployment statuses as the API shows them.</summary>
public static class DeploymentStatuses
{
    public const string Pending = "Pending";
    public const string WaitingForApproval = "WaitingForApproval";
    public const string Running = "Running";
    public const string Paused = "Paused";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string RolledBack = "RolledBack";
    public const string Aborted = "Aborted";

    public static bool IsFinished(string status) => status is Succeeded or Failed or RolledBack or Aborted;
}

/// <summary>Kinds of deployment.</summary>
public static class DeploymentKinds
{
    public const string Deploy = "deploy";
    public const string Rollback = "rollback";
    public const string Promote = "promote";
}

/// <summary>One line of a deployment's step log.</summary>
public sealed record DeploymentStep(string Name, string Status, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Message);

/// <summary>One analysis measurement of one metric.</summary>
/// <param name="DryRun">A dry-run metric: measured and shown, never decisive.</param>
/// <param name="Values">The query's whole result when it was a vector (Argo's <c>result</c>).</param>
/// <param name="Condition">The condition that decided (Argo's successCondition or failureCondition).</param>
/// <param name="Analysis">Which analysis took the measurement (e.g. <c>step 2</c>, <c>background</c>, <c>pre-promotion</c>).</param>
public sealed record AnalysisResult(DateTimeOffset At, string Metric, double? Value, double Threshold, string Result, string? Message = null,
    bool DryRun = false, IReadOnlyList<double>? Values = null, string? Condition = null, string? Analysis = null);

/// <summary>How one analysis ended: its phase, why, and each metric's counts.</summary>
public sealed record AnalysisRunSummary(string Name, string Phase, string? Message, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, IReadOnlyList<MetricSummary> Metrics);

/// <summary>One metric of an analysis: its phase and the counts Argo Rollouts keeps.</summary>
public sealed record MetricSummary(string Name, string Phase, bool DryRun, int Count, int Successful, int Failed, int Inconclusive, int Error, string? Message);

/// <summary>Analysis outcomes.</summary>
public static class AnalysisOutcomes
{
    public const string Successful = "Successful";
    public const string Failed = "Failed";
    public const string Inconclusive = "Inconclusive";

    /// <summary>The query itself failed (the provider answered an error, or the condition could not be evaluated).</summary>
    public const string Error = "Error";

    /// <summary>A metric or analysis still measuring.</summary>
    public const string Running = "Running";
}

/// <summary>Traffic split between stable (or active) and canary (or preview).</summary>
public sealed record TrafficWeights(int Stable, int Canary);

/// <summary>The live state of a canary or blue/green release.</summary>
/// <param name="Judgement">The latest canary-versus-baseline judgement: its score and every metric's verdict.</param>
public sealed record ReleaseState(
    string Type,
    string? StableVersion,
    string? CanaryVersion,
    TrafficWeights Weights,
    int CurrentStep,
    int TotalSteps,
    string? ActiveColor,
    string? PreviewColor,
    IReadOnlyList<AnalysisResult> Analysis,
    Judgement.JudgementReport? Judgement = null,
    IReadOnlyList<AnalysisRunSummary>? AnalysisRuns = null);

/// <summary>The strategy summary shown with a deployment.</summary>
public sealed record StrategySummary(string Type, IReadOnlyList<string> Steps);

/// <summary>
/// A deployment as <c>GET /api/deployments/{id}</c> answers it (and as stored). <see cref="SourceCommit"/> and
/// <see cref="CommittedAt"/> name the application commit the version was built from, when the trigger said (DORA's
/// change lead time starts there). <see cref="Clusters"/> is each cluster's state in a release that goes wave by wave
/// (null for environments without waves).
/// <see cref="Approval"/>: the approvals a pipeline's policy asks for and has got.
/// </summary>
public sealed record DeploymentRecord(
    string Id,
    string Kind,
    string Component,
    string Environment,
    string Version,
    string? PreviousVersion,
    StrategySummary Strategy,
    string Status,
    string RequestedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<DeploymentStep> Steps,
    ReleaseState? Release,
    string? Message,
    string? Reason,
    string? Source,
    IReadOnlyList<string> Commits,
    DateTimeOffset? FinishedAt,
    string? SourceCommit = null,
    DateTimeOffset? CommittedAt = null,
    IReadOnlyList<ClusterReleaseState>? Clusters = null,
    Promotion.ApprovalState? Approval = null);
