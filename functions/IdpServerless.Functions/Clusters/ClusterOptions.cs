namespace IdpServerless.Functions.Clusters;

/// <summary>Settings of the cluster, CD and metrics providers (section <c>Clusters</c>).</summary>
public sealed class ClusterOptions
{
    public const string Section = "Clusters";

    /// <summary><c>simulated</c> (default) or <c>kubernetes</c>.</summary>
    public string Provider { get; set; } = "simulated";

    /// <summary>Simulated clusters: comma-separated <c>name[=region]</c>.</summary>
    public string Simulated { get; set; } = "local-east=eastus,local-west=westus";

    /// <summary>How long a simulated rollout takes to converge.</summary>
    public TimeSpan ConvergenceTime { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Simulated requests per second per app (split between tracks by route weight).</summary>
    public double RequestsPerSecond { get; set; } = 50;

    /// <summary>Simulated baseline error ratio and p99 latency (seconds) of a healthy version.</summary>
    public double BaselineErrorRate { get; set; } = 0.001;

    public double BaselineLatencySeconds { get; set; } = 0.08;

    /// <summary>Kubernetes clusters (provider <c>kubernetes</c>): name → API server and token, a kubeconfig (and context), or in-cluster.</summary>
    public Dictionary<string, KubernetesClusterOptions> Kubernetes { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Grafana base URL for dashboard links (optional).</summary>
    public string? GrafanaUrl { get; set; }
}

/// <summary>
/// One real cluster, reached through KubernetesClient. Where the connection comes from: <see cref="InCluster"/> (the
/// pod's service account), else <see cref="Kubeconfig"/> (its <see cref="Context"/> or current context: server, CA,
/// token, client certificate or exec credential plugin), else <see cref="Server"/> and <see cref="Token"/>.
/// <see cref="Server"/> and <see cref="Token"/>, when set, take the place of the kubeconfig's server and credentials.
/// </summary>
public sealed class KubernetesClusterOptions
{
    public string? Server { get; set; }

    /// <summary>Bearer token (a secret reference is resolved by configuration; never logged).</summary>
    public string? Token { get; set; }

    /// <summary>A kubeconfig file; several contexts may be in it, <see cref="Context"/> picks one (default: its current context).</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>The kubeconfig context to use; needs <see cref="Kubeconfig"/>.</summary>
    public string? Context { get; set; }

    /// <summary>Use the in-cluster configuration (service account token and CA of the pod the app runs in).</summary>
    public bool InCluster { get; set; }

    public string Region { get; set; } = "unknown";

    /// <summary>Skip TLS verification (test clusters only).</summary>
    public bool Insecure { get; set; }

    /// <summary>How long one request to the API server may take before the cluster is reported as not answering.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
