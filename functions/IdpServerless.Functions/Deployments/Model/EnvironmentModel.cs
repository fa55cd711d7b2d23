using IdpServerless.Functions.Git;

namespace IdpServerless.Functions.Deployments.Model;

/// <summary>The strategy kinds an environment can use.</summary>
public static class StrategyTypes
{
    public const string Rolling = "rolling";
    public const string BlueGreen = "blueGreen";
    public const string Canary = "canary";
}

/// <summary>Where an environment runs: a cluster and the namespace in it.</summary>
public sealed record ClusterTarget(string Name, string Namespace);

/// <summary>Who must approve deployments to a protected environment (roles, groups or users; empty = anyone allowed to approve).</summary>
public sealed record Protection(bool ApprovalRequired, IReadOnlyList<string> Approvers)
{
    public static Protection None { get; } = new(false, []);
}

/// <summary>The deployment repository and the folder in it that holds one environment's desired state.</summary>
public sealed record DesiredStateLocation(RepoRef Repository, string Path, string Branch);

/// <summary>
/// One metric an analysis measures. <see cref="Query"/> is PromQL with placeholders <c>{{app}}</c>, <c>{{namespace}}</c>,
/// <c>{{version}}</c> and <c>{{window}}</c>; a result passes when it compares to <see cref="Threshold"/> by <see cref="Comparison"/>,
/// unless Argo Rollouts' <see cref="SuccessCondition"/> / <see cref="FailureCondition"/> are given (docs/deployments.md,
/// "Analysis"). The optional fields are Argo's per-metric settings; null means Argo's default. Plans scheduled before
/// they existed have them all null and replay unchanged.
/// </summary>
public sealed record AnalysisMetric(
    string Name,
    string Query,
    string Comparison,
    double Threshold,
    string? SuccessCondition = null,
    string? FailureCondition = null,
    TimeSpan? Interval = null,
    int? Count = null,
    TimeSpan? InitialDelay = null,
    int? FailureLimit = null,
    int? InconclusiveLimit = null,
    int? ConsecutiveErrorLimit = null,
    int? ConsecutiveSuccessLimit = null,
    bool DryRun = false,
    string? Address = null)
{
    /// <summary>True when Argo's conditions decide (rather than <see cref="Comparison"/> and <see cref="Threshold"/>).</summary>
    public bool UsesConditions => SuccessCondition is not null || FailureCondition is not null || Comparison.Length == 0;
}

/// <summary>An Argo Rollouts analysis template reference of a step: <c>{templateName, clusterScope}</c>.</summary>
/// <param name="Field">Where the reference is written (for a 422 naming it when the template is missing).</param>
public sealed record AnalysisTemplateRef(string TemplateName, bool ClusterScope = false, string? Field = null);

/// <summary>An analysis argument passed to templates (<c>{{args.name}}</c>).</summary>
public sealed record AnalysisArg(string Name, string? Value);

/// <summary>A canary step: exactly one of set-weight, pause, analysis, judgement, set-canary-scale or set-header-route.</summary>
/// <param name="SetWeight">Canary traffic percentage 0..100.</param>
/// <param name="Pause">A pause: with a duration it resumes by itself, without one it waits until promoted.</param>
/// <param name="Analysis">Metric analysis run at this point.</param>
/// <param name="Judgement">Canary-versus-baseline judgement (Kayenta's idea); any such step makes the canary run a baseline.</param>
/// <param name="SetCanaryScale">Scales the canary without moving traffic (Argo Rollouts' <c>setCanaryScale</c>).</param>
/// <param name="SetHeaderRoute">Sends requests with chosen headers to the canary (Argo Rollouts' <c>setHeaderRoute</c>).</param>
public sealed record CanaryStep(
    int? SetWeight = null,
    PauseStep? Pause = null,
    AnalysisStep? Analysis = null,
    Judgement.JudgementStep? Judgement = null,
    CanaryScaleStep? SetCanaryScale = null,
    HeaderRouteStep? SetHeaderRoute = null)
{
    public string Describe() => SetWeight is { } w ? $"setWeight {w}"
        : Pause is { } p ? (p.Duration is { } d ? $"pause {Durations.Format(d)}" : "pause until promoted")
        : Analysis is { } a ? $"analysis {string.Join(",", a.Templates)}"
        : Judgement is { } j ? $"judgement {string.Join(",", j.Metrics.Select(m => m.Name))}"
        : SetCanaryScale is { } c ? c.Describe()
        : SetHeaderRoute is { } h ? (h.Match.Count == 0 ? $"setHeaderRoute {h.Name} removed" : $"setHeaderRoute {h.Name}")
        : "step";
}

/// <summary>Exactly one of: a replica count, a share of the environment's replicas, or back to following the traffic weight.</summary>
public sealed record CanaryScaleStep(int? Replicas = null, int? Weight = null, bool MatchTrafficWeight = false)
{
    public string Describe() => Replicas is { } r ? $"setCanaryScale replicas {r}"
        : Weight is { } w ? $"setCanaryScale weight {w}" : "setCanaryScale matchTrafficWeight";
}

/// <summary>Adds (or, with an empty <see cref="Match"/>, removes) the header route <see cref="Name"/>.</summary>
public sealed record HeaderRouteStep(string Name, IReadOnlyList<GitOps.HeaderMatch> Match);

/// <summary>Pause for <see cref="Duration"/>, or until promoted when null.</summary>
public sealed record PauseStep(TimeSpan? Duration);

/// <summary>
/// Analysis: <see cref="Count"/> measurements every <see cref="Interval"/> of the named templates (built-in
/// <c>success-rate</c>, <c>latency-p99</c>, or the environment's custom metrics); the analysis fails when failed
/// measurements exceed <see cref="FailureLimit"/> and pauses for a human when inconclusive ones exceed <see cref="InconclusiveLimit"/>.
/// </summary>
/// <param name="Metrics">
/// The metrics this analysis runs, resolved and snapshotted when the deployment is accepted (built-ins, the environment's
/// custom metrics, Argo Rollouts templates from the deployment repository with their args filled in). When set, the
/// analysis follows Argo Rollouts' semantics (Analysis/AnalysisRunner.cs); null in plans scheduled before it existed,
/// which replay the earlier loop unchanged.
/// </param>
/// <param name="TemplateRefs">Argo Rollouts templates named by <c>templateName</c> (read from the deployment repository at acceptance).</param>
/// <param name="Args">Arguments for the templates' <c>{{args.name}}</c> placeholders.</param>
/// <param name="DryRun">Argo's <c>dryRun: [{metricName}]</c>: names (or patterns) of metrics measured but never decisive.</param>
/// <param name="StartingStep">Background analysis (canary <c>strategy.analysis</c>): the step index it starts at.</param>
public sealed record AnalysisStep(
    IReadOnlyList<string> Templates,
    int FailureLimit,
    int InconclusiveLimit,
    int Count,
    TimeSpan Interval,
    IReadOnlyList<AnalysisMetric>? Metrics = null,
    IReadOnlyList<AnalysisTemplateRef>? TemplateRefs = null,
    IReadOnlyList<AnalysisArg>? Args = null,
    int? StartingStep = null,
    IReadOnlyList<string>? DryRun = null);

/// <summary>How an environment is rolled out.</summary>
/// <param name="Type">One of <see cref="StrategyTypes"/>.</param>
/// <param name="Steps">Canary steps (empty for others).</param>
/// <param name="Metrics">Analysis templates by name (built-ins plus the component's custom queries).</param>
/// <param name="AutoPromote">Blue/green: switch without waiting for a promote/approval when checks pass.</param>
/// <param name="ScaleDownDelay">Blue/green: how long the old colour stays up after the switch (instant rollback window).</param>
/// <param name="PrePromotionAnalysis">Blue/green: analysis of the preview colour before the switch (optional).</param>
/// <param name="AbortScaleDownDelay">Canary: how long the canary's pods stay up after an abort took their traffic (zero in plans made before it existed: scaled down at once).</param>
/// <param name="PostPromotionAnalysis">Blue/green: analysis after the switch; failure switches back (optional).</param>
/// <param name="BackgroundAnalysis">Canary: analysis running alongside the steps from its starting step (optional).</param>
public sealed record DeliveryStrategy(
    string Type,
    IReadOnlyList<CanaryStep> Steps,
    IReadOnlyDictionary<string, AnalysisMetric> Metrics,
    bool AutoPromote,
    TimeSpan ScaleDownDelay,
    AnalysisStep? PrePromotionAnalysis,
    TimeSpan AbortScaleDownDelay = default,
    AnalysisStep? PostPromotionAnalysis = null,
    AnalysisStep? BackgroundAnalysis = null);

/// <summary>One environment of a component, in promotion order.</summary>
/// <param name="Waves">When set, a release goes wave by wave over the clusters, each cluster with its own folder in the deployment repository (see <see cref="GitOps.WaveLayout"/>); null keeps one folder for every cluster.</param>
/// <param name="PauseBetweenWaves">Wait for a promote (or resume) after each wave but the last.</param>
/// <param name="Pipeline">Its promotion pipeline settings, null = none.</param>
public sealed record DeliveryEnvironment(
    string Name,
    int Order,
    IReadOnlyList<ClusterTarget> Clusters,
    DeliveryStrategy Strategy,
    Protection Protection,
    DesiredStateLocation DesiredState,
    TimeSpan ProgressDeadline,
    int Replicas,
    IReadOnlyList<DeliveryWave>? Waves = null,
    bool PauseBetweenWaves = false,
    Promotion.StagePolicy? Pipeline = null,
    string? FailureAction = null);

/// <summary>What a failed (or errored) analysis does in an environment (<c>failureAction</c>).</summary>
public static class FailureActions
{
    /// <summary>Roll back to the stable version (default).</summary>
    public const string Rollback = "rollback";

    /// <summary>Hold the release where it is, Paused, for a human: resume re-runs the analysis, promote goes on, abort rolls back.</summary>
    public const string Pause = "pause";
}

/// <summary>A component's delivery configuration: its environments in promotion order and its image.</summary>
public sealed record ComponentDelivery(string ComponentRef, string Name, string Namespace, string Image, IReadOnlyList<DeliveryEnvironment> Environments)
{
    public DeliveryEnvironment? Find(string environment) =>
        Environments.FirstOrDefault(e => string.Equals(e.Name, environment, StringComparison.OrdinalIgnoreCase));

    /// <summary>The environment after <paramref name="environment"/> in promotion order, or null.</summary>
    public DeliveryEnvironment? Next(string environment) =>
        Find(environment) is { } e ? Environments.Where(x => x.Order > e.Order).MinBy(x => x.Order) : null;
}
