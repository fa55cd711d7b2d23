namespace IdpServerless.Functions.Deployments;

/// <summary>Settings of deployments (section <c>Deployments</c>); every duration is configurable so tests run in seconds.</summary>
public sealed class DeploymentOptions
{
    public const string Section = "Deployments";

    /// <summary>Clusters used by an environment that names none.</summary>
    public string DefaultClusters { get; set; } = "local-east";

    /// <summary>Owner of deployment repositories when a component names none (<c>{owner}/{component}-deploy</c>).</summary>
    public string RepositoryOwner { get; set; } = "deployments";

    /// <summary>Branch holding desired state.</summary>
    public string Branch { get; set; } = "main";

    /// <summary>Image registry prefix when a component has no <c>idp.dev/image</c> annotation.</summary>
    public string ImageRegistry { get; set; } = "registry.local";

    /// <summary>How long a rollout may take to become healthy before it is failed and reverted.</summary>
    public TimeSpan ProgressDeadline { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the orchestrations look at sync and health while waiting.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Time between analysis measurements unless a step says otherwise.</summary>
    public TimeSpan AnalysisInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Measurements per analysis unless a step says otherwise.</summary>
    public int AnalysisCount { get; set; } = 3;

    /// <summary>Rate window of the built-in analysis queries (PromQL range, e.g. <c>1m</c>).</summary>
    public string AnalysisWindow { get; set; } = "1m";

    /// <summary>Minimum success rate (0..1) of the built-in <c>success-rate</c> analysis.</summary>
    public double SuccessRateThreshold { get; set; } = 0.99;

    /// <summary>Maximum p99 latency in seconds of the built-in <c>latency-p99</c> analysis.</summary>
    public double LatencyP99Threshold { get; set; } = 0.5;

    /// <summary>Blue/green: how long the old colour stays up after a switch unless the environment says otherwise.</summary>
    public TimeSpan ScaleDownDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Canary: how long the canary's pods stay up after an abort took their traffic, unless the environment says otherwise (Argo Rollouts' default).</summary>
    public TimeSpan AbortScaleDownDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a protected deployment waits for an approval before it expires.</summary>
    public TimeSpan ApprovalTimeout { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Replicas per track unless the environment says otherwise.</summary>
    public int Replicas { get; set; } = 2;

    /// <summary>Base URL of the portal for links in notifications (e.g. <c>http://localhost:5173</c>).</summary>
    public string? PortalUrl { get; set; }
}
