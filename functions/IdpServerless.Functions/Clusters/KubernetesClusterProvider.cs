using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using YamlDotNet.Serialization;

namespace IdpServerless.Functions.Clusters;

/// <summary>
/// The real cluster provider over the Kubernetes REST API (nodes, Deployments, Pods, Events), one API server per
/// configured cluster, authenticated by a bearer token given directly or read from a kubeconfig's current context.
/// </summary>
public sealed class KubernetesClusterProvider(IHttpClientFactory factory, IOptions<ClusterOptions> options) : IClusterProvider
{
    public const string HttpClientName = "kubernetes";

    public async Task<IReadOnlyList<ClusterInfo>> ListClustersAsync(CancellationToken cancellationToken)
    {
        var list = new List<ClusterInfo>();
        foreach (var (name, cluster) in options.Value.Kubernetes.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            try
            {
                using var nodes = await GetAsync(name, "api/v1/nodes", cancellationToken).ConfigureAwait(false);
                var items = nodes.RootElement.GetProperty("items").EnumerateArray().ToList();
                var ready = items.Count(n => Conditions(n).Any(c => c.Type == "Ready" && c.Status == "True"));
                double cpu = 0, memory = 0, cpuAlloc = 0, memAlloc = 0;
                foreach (var n in items)
                {
                    var status = n.GetProperty("status");
                    cpu += Cpu(status, "capacity");
                    memory += Memory(status, "capacity");
                    cpuAlloc += Cpu(status, "allocatable");
                    memAlloc += Memory(status, "allocatable");
                }

                // Used = what the nodes reserve beyond allocatable; precise usage needs metrics-server, which is optional.
                var health = items.Count == 0 ? "Degraded" : ready == items.Count ? "Healthy" : "Degraded";
                list.Add(new ClusterInfo(name, "kubernetes", cluster.Region, health, items.Count, new ResourceCapacity(Math.Round(cpu - cpuAlloc, 2), Math.Round(cpu, 2)),
                    new ResourceCapacity(Math.Round(memory - memAlloc, 2), Math.Round(memory, 2)), options.Value.GrafanaUrl is { } g ? $"{g.TrimEnd('/')}/d/cluster?var-cluster={Uri.EscapeDataString(name)}" : null));
            }
            catch (HttpRequestException)
            {
                list.Add(new ClusterInfo(name, "kubernetes", cluster.Region, "Unreachable", 0, new ResourceCapacity(0, 0), new ResourceCapacity(0, 0), null));
            }
        }

        return list;
    }

    public async Task<IReadOnlyList<Workload>> GetWorkloadsAsync(string cluster, string ns, string app, CancellationToken cancellationToken)
    {
        var selector = Uri.EscapeDataString($"app={app}");
        using var deployments = await GetAsync(cluster, $"apis/apps/v1/namespaces/{Uri.EscapeDataString(ns)}/deployments?labelSelector={selector}", cancellationToken).ConfigureAwait(false);
        using var pods = await GetAsync(cluster, $"api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods?labelSelector={selector}", cancellationToken).ConfigureAwait(false);
        var crashing = pods.RootElement.GetProperty("items").EnumerateArray()
            .Where(p => p.TryGetProperty("status", out var s) && s.TryGetProperty("containerStatuses", out var cs) &&
                        cs.EnumerateArray().Any(c => c.TryGetProperty("state", out var st) && st.TryGetProperty("waiting", out var w) &&
                                                     w.TryGetProperty("reason", out var r) && r.GetString() is "CrashLoopBackOff" or "ImagePullBackOff" or "ErrImagePull"))
            .Select(p => Label(p, "track") ?? string.Empty).ToHashSet(StringComparer.Ordinal);
        var list = new List<Workload>();
        foreach (var d in deployments.RootElement.GetProperty("items").EnumerateArray())
        {
            var name = d.GetProperty("metadata").GetProperty("name").GetString() ?? string.Empty;
            var track = Label(d, "track") ?? string.Empty;
            var spec = d.GetProperty("spec");
            var status = d.TryGetProperty("status", out var st) ? st : default;
            var desired = spec.TryGetProperty("replicas", out var r) ? r.GetInt32() : 1;
            var readyCount = Int(status, "readyReplicas");
            var updated = Int(status, "updatedReplicas");
            var image = spec.GetProperty("template").GetProperty("spec").GetProperty("containers")[0].GetProperty("image").GetString() ?? string.Empty;
            var version = Label(d, "version") ?? (image.LastIndexOf(':') is var i and > 0 ? image[(i + 1)..] : image);
            var stalled = Conditions(d).FirstOrDefault(c => c.Type == "Progressing" && c.Reason == "ProgressDeadlineExceeded");
            var (state, message) = crashing.Contains(track) ? ("Degraded", $"pods of {name} are crash-looping")
                : stalled.Type is not null ? ("Degraded", stalled.Message)
                : readyCount >= desired && updated >= desired ? ("Healthy", (string?)null)
                : ("Progressing", $"{readyCount}/{desired} ready");
            list.Add(new Workload(cluster, ns, name, track, version, new ReplicaCounts(desired, readyCount, updated), state, message));
        }

        return list;
    }

    public async Task<IReadOnlyList<ClusterEvent>> GetEventsAsync(string cluster, string ns, string app, CancellationToken cancellationToken)
    {
        using var events = await GetAsync(cluster, $"api/v1/namespaces/{Uri.EscapeDataString(ns)}/events", cancellationToken).ConfigureAwait(false);
        return events.RootElement.GetProperty("items").EnumerateArray()
            .Select(e =>
            {
                var involved = e.GetProperty("involvedObject");
                var obj = $"{involved.GetProperty("kind").GetString()?.ToLowerInvariant()}/{involved.GetProperty("name").GetString()}";
                var at = (e.TryGetProperty("lastTimestamp", out var t) && t.ValueKind == JsonValueKind.String) || (e.TryGetProperty("eventTime", out t) && t.ValueKind == JsonValueKind.String)
                    ? DateTimeOffset.Parse(t.GetString()!, CultureInfo.InvariantCulture) : DateTimeOffset.MinValue;
                return new ClusterEvent(at, e.GetProperty("type").GetString() ?? "Normal", e.GetProperty("reason").GetString() ?? string.Empty, obj, e.GetProperty("message").GetString() ?? string.Empty);
            })
            .Where(e => e.Object.Contains($"/{app}", StringComparison.Ordinal))
            .OrderByDescending(e => e.At).Take(50).ToList();
    }

    private async Task<JsonDocument> GetAsync(string cluster, string relative, CancellationToken ct)
    {
        var (server, token) = Endpoint(cluster);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(server.TrimEnd('/') + "/"), relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (token is { Length: > 0 })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await factory.CreateClient(HttpClientName).SendAsync(request, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Kubernetes API of {cluster} answered {(int)response.StatusCode} to {relative.Split('?')[0]}.", null, response.StatusCode);
        }

        return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
    }

    private (string Server, string? Token) Endpoint(string cluster)
    {
        if (!options.Value.Kubernetes.TryGetValue(cluster, out var c))
        {
            throw new ClusterNotFoundException(cluster);
        }

        if (c.Server is { Length: > 0 } server)
        {
            return (server, c.Token);
        }

        if (c.Kubeconfig is { Length: > 0 } path)
        {
            return Kubeconfig.Read(File.ReadAllText(path));
        }

        throw new InvalidOperationException($"Cluster '{cluster}' needs Server (+Token) or Kubeconfig.");
    }

    private static IEnumerable<(string? Type, string? Status, string? Reason, string? Message)> Conditions(JsonElement e) =>
        e.TryGetProperty("status", out var s) && s.TryGetProperty("conditions", out var cs)
            ? cs.EnumerateArray().Select(c => (Str(c, "type"), Str(c, "status"), Str(c, "reason"), Str(c, "message")))
            : [];

    private static string? Str(JsonElement e, string p) => e.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement e, string p) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;

    private static string? Label(JsonElement e, string key) =>
        e.GetProperty("metadata").TryGetProperty("labels", out var l) && l.TryGetProperty(key, out var v) ? v.GetString() : null;

    private static double Cpu(JsonElement status, string field) =>
        status.TryGetProperty(field, out var f) && f.TryGetProperty("cpu", out var v) ? Quantity(v.GetString()) : 0;

    private static double Memory(JsonElement status, string field) =>
        status.TryGetProperty(field, out var f) && f.TryGetProperty("memory", out var v) ? Quantity(v.GetString()) / (1024d * 1024 * 1024) : 0;

    /// <summary>A Kubernetes quantity (<c>4</c>, <c>3500m</c>, <c>16Gi</c>, <c>16000000Ki</c>) as a plain number.</summary>
    public static double Quantity(string? q)
    {
        if (string.IsNullOrEmpty(q))
        {
            return 0;
        }

        (string Suffix, double Factor)[] units = [("Ki", 1024d), ("Mi", 1024d * 1024), ("Gi", 1024d * 1024 * 1024), ("Ti", 1024d * 1024 * 1024 * 1024), ("m", 0.001), ("k", 1e3), ("M", 1e6), ("G", 1e9)];
        foreach (var (suffix, factor) in units)
        {
            if (q.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(q[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                return n * factor;
            }
        }

        return double.TryParse(q, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) ? plain : 0;
    }
}

/// <summary>Reads the current context's server and token from a kubeconfig.</summary>
public static class Kubeconfig
{
    public static (string Server, string? Token) Read(string yaml)
    {
        var root = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object?>>(yaml)
                   ?? throw new InvalidOperationException("The kubeconfig is empty.");
        var current = root.GetValueOrDefault("current-context") as string ?? throw new InvalidOperationException("The kubeconfig has no current-context.");
        var context = Named(root, "contexts", current, "context");
        var clusterName = context.GetValueOrDefault("cluster") as string ?? throw new InvalidOperationException($"Context '{current}' names no cluster.");
        var server = Named(root, "clusters", clusterName, "cluster").GetValueOrDefault("server") as string ?? throw new InvalidOperationException($"Cluster '{clusterName}' has no server.");
        var userName = context.GetValueOrDefault("user") as string;
        var token = userName is null ? null : Named(root, "users", userName, "user").GetValueOrDefault("token") as string;
        return (server, token);
    }

    private static Dictionary<object, object?> Named(Dictionary<object, object?> root, string list, string name, string body) =>
        (root.GetValueOrDefault(list) as List<object?> ?? [])
        .OfType<Dictionary<object, object?>>()
        .FirstOrDefault(e => e.GetValueOrDefault("name") as string == name)?.GetValueOrDefault(body) as Dictionary<object, object?>
        ?? throw new InvalidOperationException($"The kubeconfig has no {list} entry '{name}'.");
}
