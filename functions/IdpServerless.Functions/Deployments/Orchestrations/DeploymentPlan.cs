using IdpServerless.Functions.Delivery;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Notifications;

namespace IdpServerless.Functions.Deployments.Orchestrations;

/// <summary>
/// Everything an orchestration needs, fixed when the deployment is accepted (the environment's configuration is a
/// snapshot: changing the catalog does not change a release under way). <see cref="Approvals"/>: how many distinct
/// approvals, from whom (null: today's single approval by <see cref="Protection"/>); <see cref="TriggersPromotion"/>:
/// on success, schedule the auto-promotions out of this stage (both null/false in plans written before pipelines).
/// </summary>
public sealed record DeploymentPlan(
    string DeploymentId,
    string Kind,
    string Component,
    string App,
    string Image,
    DeliveryEnvironment Environment,
    string Version,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    string? Reason,
    string? Source,
    bool RequireApproval,
    TimeSpan PollInterval,
    TimeSpan ApprovalTimeout,
    string AnalysisWindow,
    string? PortalUrl,
    string? SourceCommit = null,
    DateTimeOffset? CommittedAt = null,
    string? SourceRepository = null,
    Promotion.ApprovalPolicy? Approvals = null,
    bool TriggersPromotion = false)
{
    public CdApplication Application => new($"{App}-{Environment.Name}", Environment.DesiredState, Environment.Clusters, App);

    /// <summary>The namespace manifests are written for (the first cluster's; clusters of one environment share it in practice).</summary>
    public string Namespace => Environment.Clusters.Count > 0 ? Environment.Clusters[0].Namespace : App;

    public IReadOnlyList<string> ClusterNames => Environment.Clusters.Select(c => c.Name).ToList();
}

/// <summary>A control sent to a running deployment (event <see cref="EventName"/>).</summary>
public sealed record ControlEvent(string Action, string By, string? Comment)
{
    public const string EventName = "control";
}

/// <summary>Input of the commit activity; <paramref name="Paths"/>, when set, are the folders to write instead of the location's (one per cluster of a wave).</summary>
public sealed record CommitInput(DesiredStateLocation Location, string Namespace, DesiredState State, string DeploymentId, int Step, string Subject, string RequestedBy, IReadOnlyList<string>? Paths = null);

/// <summary>Input of the rollout check: is the application synced to <see cref="Sha"/> (or later), and how healthy is it.</summary>
public sealed record RolloutInput(CdApplication Application, string Sha);

/// <summary>Output of the rollout check.</summary>
public sealed record RolloutCheck(bool Synced, string Health, string? Revision, string? Message);

/// <summary>Input of one analysis measurement.</summary>
public sealed record MeasureInput(string App, string Namespace, string Version, IReadOnlyList<string> Clusters, IReadOnlyList<AnalysisMetric> Metrics, string Window);

/// <summary>Input of the notify activity.</summary>
/// <param name="Event">The notification.</param>
/// <param name="OutboxId">Chosen by the orchestration (replay-safe), so a re-run of the activity is delivered once; null from orchestrations scheduled before it existed.</param>
public sealed record NotifyInput(NotificationEvent Event, string? OutboxId = null);

/// <summary>Where the commit a version was built from can be read: the component's source repository (owner/name) and the sha.</summary>
public sealed record CommitTimeInput(string Repository, string Sha);

/// <summary>How a flow ended.</summary>
public sealed record FlowResult(string Status, string? Message);

/// <summary>Registered names of the deployment orchestrators and activities.</summary>
public static class DeploymentFunctions
{
    public const string Orchestrator = "Deployment";
    public const string Save = "DeploymentSave";
    public const string ReadDesiredState = "DeploymentReadDesiredState";
    public const string Commit = "DeploymentCommit";
    public const string CheckRollout = "DeploymentCheckRollout";
    public const string Measure = "DeploymentMeasure";
    public const string Notify = "DeploymentNotify";
    public const string CommitTime = "DeploymentCommitTime";
}
