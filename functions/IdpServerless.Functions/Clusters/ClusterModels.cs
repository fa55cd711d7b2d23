using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Clusters;

/// <summary>Used and total of a resource (CPU in cores, memory in GiB).</summary>
public sealed record ResourceCapacity(double Used, double Capacity);

/// <summary>A cluster as <c>GET /api/clusters</c> shows it.</summary>
public sealed record ClusterInfo(string Name, string Provider, string Region, string Status, int Nodes, ResourceCapacity Cpu, ResourceCapacity Memory, string? GrafanaUrl);

/// <summary>Replica counts of a workload.</summary>
public sealed record ReplicaCounts(int Desired, int Ready, int Updated);

/// <summary>One workload (a Deployment of one track) of a component in one cluster.</summary>
public sealed record Workload(string Cluster, string Namespace, string Name, string Track, string Version, ReplicaCounts Replicas, string Status, string? Message);

/// <summary>A Kubernetes-style event about a workload.</summary>
public sealed record ClusterEvent(DateTimeOffset At, string Type, string Reason, string Object, string Message);

/// <summary>
/// The clusters the portal shows: their health and capacity, a component's workloads and their events.
/// Local provider (default): simulated clusters. Real provider: the Kubernetes API through KubernetesClient.
/// </summary>
public interface IClusterProvider
{
    Task<IReadOnlyList<ClusterInfo>> ListClustersAsync(CancellationToken cancellationToken);

    /// <summary>Workloads labelled <c>app={app}</c> in <paramref name="ns"/> of <paramref name="cluster"/>; empty when none.</summary>
    /// <exception cref="ClusterNotFoundException">The cluster is not configured.</exception>
    /// <exception cref="ClusterUnavailableException">The cluster's API could not answer (its message says why).</exception>
    Task<IReadOnlyList<Workload>> GetWorkloadsAsync(string cluster, string ns, string app, CancellationToken cancellationToken);

    /// <summary>Recent events of the app's workloads, newest first.</summary>
    /// <exception cref="ClusterNotFoundException">The cluster is not configured.</exception>
    /// <exception cref="ClusterUnavailableException">The cluster's API could not answer (its message says why).</exception>
    Task<IReadOnlyList<ClusterEvent>> GetEventsAsync(string cluster, string ns, string app, CancellationToken cancellationToken);
}

/// <summary>The cluster is not known to the provider.</summary>
public sealed class ClusterNotFoundException(string cluster) : Exception($"Cluster '{cluster}' is not configured.");

/// <summary>
/// A configured cluster could not answer: its credentials were refused (401), the identity may not read (403), the API
/// server has no such path (404), it throttles (429, <see cref="RetryAfter"/>), it did not answer in time, it could not
/// be reached, or its kubeconfig / credential plugin could not be used. The message names the cluster and the cause,
/// never a credential.
/// </summary>
public sealed class ClusterUnavailableException(string cluster, string message, int? statusCode = null, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner), IUpstreamFailure
{
    public string Cluster { get; } = cluster;

    /// <summary>The API server's HTTP status, when it answered.</summary>
    public int? StatusCode { get; } = statusCode;

    /// <summary>How long the API server asked to wait (429 <c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    string IUpstreamFailure.Upstream => $"Cluster '{Cluster}'";

    int? IUpstreamFailure.UpstreamStatus => StatusCode;

    bool IUpstreamFailure.TimedOut => InnerException is OperationCanceledException or TimeoutException;
}
