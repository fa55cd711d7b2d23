using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Clusters;

/// <summary>
/// The real cluster provider: nodes, Deployments, Pods and Events through KubernetesClient, one client per configured
/// cluster, built from in-cluster config, a kubeconfig context (token, client certificate, exec credential plugin) or a
/// server and token (<see cref="KubernetesClusterOptions"/>). Every failure of a cluster's API becomes a
/// <see cref="ClusterUnavailableException"/> whose message says what happened (an unreachable cluster in the list).
/// </summary>
public sealed partial class KubernetesClusterProvider(IOptions<ClusterOptions> options, ILogger<KubernetesClusterProvider> logger) : IClusterProvider, IDisposable
{
    private static readonly string[] CrashReasons = ["CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull"];
    private const double GiB = 1024d * 1024 * 1024;

    // One client per cluster, kept: it holds the connection pool and the credential plugin's cached token. A client
    // that could not be built is not kept, so a fixed kubeconfig is picked up by the next request.
    private readonly ConcurrentDictionary<string, IKubernetes> clients = new(StringComparer.OrdinalIgnoreCase);

    public async Task<IReadOnlyList<ClusterInfo>> ListClustersAsync(CancellationToken cancellationToken)
    {
        var clusters = options.Value.Kubernetes.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        return await Task.WhenAll(clusters.Select(c => DescribeAsync(c.Key, c.Value, cancellationToken))).ConfigureAwait(false);
    }

    private async Task<ClusterInfo> DescribeAsync(string name, KubernetesClusterOptions cluster, CancellationToken cancellationToken)
    {
        try
        {
            var nodes = await CallAsync(name, (k, ct) => k.CoreV1.ListNodeAsync(cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            var items = nodes.Items ?? [];
            var ready = items.Count(n => n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true);
            double cpu = 0, memory = 0, cpuAlloc = 0, memAlloc = 0;
            foreach (var n in items)
            {
                cpu += Amount(n.Status?.Capacity, "cpu");
                memory += Amount(n.Status?.Capacity, "memory") / GiB;
                cpuAlloc += Amount(n.Status?.Allocatable, "cpu");
                memAlloc += Amount(n.Status?.Allocatable, "memory") / GiB;
            }

            // Used = what the nodes reserve beyond allocatable; precise usage needs metrics-server, which is optional.
            var health = items.Count == 0 ? "Degraded" : ready == items.Count ? "Healthy" : "Degraded";
            return new ClusterInfo(name, "kubernetes", cluster.Region, health, items.Count, new ResourceCapacity(Math.Round(cpu - cpuAlloc, 2), Math.Round(cpu, 2)),
                new ResourceCapacity(Math.Round(memory - memAlloc, 2), Math.Round(memory, 2)),
                options.Value.GrafanaUrl is { } g ? $"{g.TrimEnd('/')}/d/cluster?var-cluster={Uri.EscapeDataString(name)}" : null);
        }
        catch (ClusterUnavailableException e)
        {
            LogUnreachable(logger, name, e.Message);
            return new ClusterInfo(name, "kubernetes", cluster.Region, "Unreachable", 0, new ResourceCapacity(0, 0), new ResourceCapacity(0, 0), null);
        }
    }

    public async Task<IReadOnlyList<Workload>> GetWorkloadsAsync(string cluster, string ns, string app, CancellationToken cancellationToken)
    {
        var selector = $"app={app}";
        var deploymentsCall = CallAsync(cluster, (k, ct) => k.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: selector, cancellationToken: ct), cancellationToken);
        var podsCall = CallAsync(cluster, (k, ct) => k.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: ct), cancellationToken);
        try
        {
            await Task.WhenAll(deploymentsCall, podsCall).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Both ran; which failure WhenAll rethrows is not fixed, so the Deployments call's is reported first, below.
        }

        var (deployments, pods) = (await deploymentsCall.ConfigureAwait(false), await podsCall.ConfigureAwait(false));

        var crashing = (pods.Items ?? [])
            .Where(p => p.Status?.ContainerStatuses?.Any(c => c.State?.Waiting?.Reason is { } r && CrashReasons.Contains(r)) == true)
            .Select(p => Label(p.Metadata, "track") ?? string.Empty).ToHashSet(StringComparer.Ordinal);
        var list = new List<Workload>();
        foreach (var d in deployments.Items ?? [])
        {
            var name = d.Metadata?.Name ?? string.Empty;
            var track = Label(d.Metadata, "track") ?? string.Empty;
            var desired = d.Spec?.Replicas ?? 1;
            var readyCount = d.Status?.ReadyReplicas ?? 0;
            var updated = d.Status?.UpdatedReplicas ?? 0;
            var image = d.Spec?.Template?.Spec?.Containers?.FirstOrDefault()?.Image ?? string.Empty;
            var version = Label(d.Metadata, "version") ?? (image.LastIndexOf(':') is var i and > 0 ? image[(i + 1)..] : image);
            var stalled = d.Status?.Conditions?.FirstOrDefault(c => c.Type == "Progressing" && c.Reason == "ProgressDeadlineExceeded");
            var (state, message) = crashing.Contains(track) ? ("Degraded", $"pods of {name} are crash-looping")
                : stalled is not null ? ("Degraded", stalled.Message)
                : readyCount >= desired && updated >= desired ? ("Healthy", (string?)null)
                : ("Progressing", $"{readyCount}/{desired} ready");
            list.Add(new Workload(cluster, ns, name, track, version, new ReplicaCounts(desired, readyCount, updated), state, message));
        }

        return list;
    }

    public async Task<IReadOnlyList<ClusterEvent>> GetEventsAsync(string cluster, string ns, string app, CancellationToken cancellationToken)
    {
        var events = await CallAsync(cluster, (k, ct) => k.CoreV1.ListNamespacedEventAsync(ns, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        return (events.Items ?? [])
            .Select(e =>
            {
                var obj = $"{e.InvolvedObject?.Kind?.ToLowerInvariant()}/{e.InvolvedObject?.Name}";
                var at = (e.LastTimestamp ?? e.EventTime) is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.MinValue;
                return new ClusterEvent(at, e.Type ?? "Normal", e.Reason ?? string.Empty, obj, e.Message ?? string.Empty);
            })
            .Where(e => e.Object.Contains($"/{app}", StringComparison.Ordinal))
            .OrderByDescending(e => e.At).Take(50).ToList();
    }

    public void Dispose()
    {
        foreach (var client in clients.Values)
        {
            client.Dispose();
        }

        clients.Clear();
    }

    /// <summary>One API call on the cluster's client, every failure turned into a <see cref="ClusterUnavailableException"/>.</summary>
    private async Task<T> CallAsync<T>(string cluster, Func<IKubernetes, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        if (!options.Value.Kubernetes.TryGetValue(cluster, out var settings))
        {
            throw new ClusterNotFoundException(cluster);
        }

        var client = Client(cluster, settings);
        try
        {
            return await call(client, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw Refused(cluster, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // KubernetesClient cancels a request after the client's HttpClientTimeout (our Timeout).
            throw new ClusterUnavailableException(cluster,
                $"Cluster '{cluster}': the Kubernetes API did not answer within {settings.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (Clusters:Kubernetes:{cluster}:Timeout).", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new ClusterUnavailableException(cluster, $"Cluster '{cluster}': the Kubernetes API could not be reached: {e.Message}{(e.InnerException is { } inner ? $" ({FirstLine(inner.Message)})" : string.Empty)}", inner: e);
        }
        catch (k8s.Exceptions.KubeConfigException e)
        {
            // A credential plugin that fails when its token is refreshed.
            throw new ClusterUnavailableException(cluster, $"Cluster '{cluster}': the credential plugin failed: {FirstLine(e.Message)}", inner: e);
        }
        catch (JsonException e)
        {
            throw new ClusterUnavailableException(cluster, $"Cluster '{cluster}': the API server's answer is not a Kubernetes object ({e.Message}).", inner: e);
        }
    }

    private IKubernetes Client(string cluster, KubernetesClusterOptions settings)
    {
        if (clients.TryGetValue(cluster, out var existing))
        {
            return existing;
        }

        Kubernetes client;
        try
        {
            client = new Kubernetes(Configuration(settings));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // KubeConfigException (a missing file or context, a bad server URL), a malformed file, a failing credential
            // plugin, an unreadable certificate.
            var source = settings.InCluster ? "the in-cluster configuration could not be used"
                : e.Message.StartsWith("external exec", StringComparison.Ordinal) ? $"the credential plugin of the kubeconfig {settings.Kubeconfig} failed"
                : settings.Kubeconfig is { Length: > 0 } path ? $"the kubeconfig {path} could not be used"
                : "its settings could not be used";
            throw new ClusterUnavailableException(cluster, $"Cluster '{cluster}': {source}: {FirstLine(e.Message)}", inner: e);
        }

        if (clients.TryAdd(cluster, client))
        {
            return client;
        }

        client.Dispose();
        return clients[cluster];
    }

    /// <summary>The client configuration of one cluster (see <see cref="KubernetesClusterOptions"/> for the precedence).</summary>
    private static KubernetesClientConfiguration Configuration(KubernetesClusterOptions settings)
    {
        var config = settings.InCluster ? KubernetesClientConfiguration.InClusterConfig()
            : settings.Kubeconfig is { Length: > 0 } path ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path, string.IsNullOrWhiteSpace(settings.Context) ? null : settings.Context)
            : new KubernetesClientConfiguration();
        if (settings.Server is { Length: > 0 } server)
        {
            config.Host = server;
        }

        if (settings.Token is { Length: > 0 } token)
        {
            config.AccessToken = token;
            config.TokenProvider = null;
            config.Username = null;
            config.Password = null;
        }

        if (settings.Insecure)
        {
            config.SkipTlsVerify = true;
        }

        config.HttpClientTimeout = settings.Timeout;
        return config;
    }

    private static ClusterUnavailableException Refused(string cluster, HttpOperationException e)
    {
        var status = e.Response?.StatusCode ?? 0;
        var path = e.Request?.RequestUri?.AbsolutePath ?? "?";
        var detail = StatusMessage(e.Response?.Content) is { } m ? $": {m}" : string.Empty;
        var code = (int)status;
        var retryAfter = status == HttpStatusCode.TooManyRequests ? RetryAfter(e.Response?.Headers) : null;
        var message = status switch
        {
            HttpStatusCode.Unauthorized =>
                $"Cluster '{cluster}': the Kubernetes API refused the credentials (401 Unauthorized) for GET {path}; check its Token, kubeconfig user or credential plugin.",
            HttpStatusCode.Forbidden =>
                $"Cluster '{cluster}': the portal's identity may not read GET {path} (403 Forbidden){detail}; it needs list on nodes, and on deployments, pods and events in the namespace.",
            HttpStatusCode.NotFound =>
                $"Cluster '{cluster}': the Kubernetes API has no GET {path} (404 Not Found){detail}; check that the server is the cluster's API server.",
            HttpStatusCode.TooManyRequests => retryAfter is { } wait
                ? $"Cluster '{cluster}': the Kubernetes API is throttling requests (429 Too Many Requests); retry after {Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s."
                : $"Cluster '{cluster}': the Kubernetes API is throttling requests (429 Too Many Requests); retry later.",
            _ => $"Cluster '{cluster}': the Kubernetes API answered {code} {e.Response?.ReasonPhrase} to GET {path}{detail}.",
        };
        return new ClusterUnavailableException(cluster, message, code, retryAfter, e);
    }

    /// <summary>The <c>message</c> of a Kubernetes <c>Status</c> body (e.g. what RBAC refused), shortened.</summary>
    private static string? StatusMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                   && m.GetString() is { Length: > 0 } text
                ? text.Length > 300 ? text[..300] + "…" : text
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary><c>Retry-After</c> as seconds or an HTTP date.</summary>
    private static TimeSpan? RetryAfter(IDictionary<string, IEnumerable<string>>? headers)
    {
        var value = headers?.FirstOrDefault(h => string.Equals(h.Key, "Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault()?.Trim();
        if (value is null)
        {
            return null;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero
            : null;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd();

    private static double Amount(IDictionary<string, ResourceQuantity>? resources, string name) =>
        resources is not null && resources.TryGetValue(name, out var q) && q is not null ? q.ToDouble() : 0;

    private static string? Label(V1ObjectMeta? metadata, string key) =>
        metadata?.Labels is { } labels && labels.TryGetValue(key, out var v) ? v : null;

    [LoggerMessage(EventId = 9101, Level = LogLevel.Warning, Message = "Cluster {Cluster} is shown as unreachable. {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string cluster, string reason);
}
