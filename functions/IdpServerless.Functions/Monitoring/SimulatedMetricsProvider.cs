using IdpServerless.Functions.Clusters.Simulated;
using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Functions.Monitoring;

/// <summary>
/// The local metrics provider: success rate and p99 latency of a version come from the simulated clusters' traffic
/// (summed over the given clusters); alerts are raised for crash-looping or erroring versions. Custom PromQL needs a
/// real Prometheus: here it answers "no data", which the analysis counts as inconclusive.
/// </summary>
public sealed class SimulatedMetricsProvider(SimulatedClusterFleet fleet, TimeProvider time) : IMetricsProvider
{
    public Task<MetricValue> QueryAsync(MetricQuery query, CancellationToken cancellationToken)
    {
        var traffic = Clusters(query.Clusters)
            .SelectMany(c => c.Traffic())
            .Where(t => t.App == query.App && t.Namespace == query.Namespace && t.Version == query.Version && t.RequestsPerSecond > 0)
            .ToList();
        var rps = traffic.Sum(t => t.RequestsPerSecond);
        if (rps <= 0)
        {
            return Task.FromResult(new MetricValue(null, $"version {query.Version} receives no traffic"));
        }

        var value = query.Metric switch
        {
            StrategyParser.SuccessRate => (double?)(1 - (traffic.Sum(t => t.ErrorRate * t.RequestsPerSecond) / rps)),
            StrategyParser.LatencyP99 => traffic.Max(t => t.LatencyP99Seconds),
            _ => null,
        };
        return Task.FromResult(value is null
            ? new MetricValue(null, $"custom query '{query.Metric}' needs a Prometheus (Metrics:Provider=prometheus)")
            : new MetricValue(Math.Round(value.Value, 6), null));
    }

    public Task<IReadOnlyList<(DateTimeOffset At, double Value)>> QueryRangeAsync(string promQl, DateTimeOffset start, DateTimeOffset end, TimeSpan step, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<(DateTimeOffset, double)>>([]);

    public Task<IReadOnlyList<AlertInfo>> GetAlertsAsync(string app, string? ns, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var alerts = new List<AlertInfo>();
        foreach (var c in fleet.All)
        {
            foreach (var w in c.Apps().Where(a => a.App == app && (ns is null || a.Ns == ns)).SelectMany(a => c.Workloads(a.Ns, a.App)))
            {
                if (w.Status == "Degraded")
                {
                    alerts.Add(Alert("KubePodCrashLooping", "critical", $"{w.Name} ({w.Version}) is crash-looping in {c.Name}/{w.Namespace}", c.Name, w.Namespace, w.Version));
                }
            }

            foreach (var t in c.Traffic().Where(t => t.App == app && (ns is null || t.Namespace == ns) && t.RequestsPerSecond > 0 && t.ErrorRate > 0.05))
            {
                alerts.Add(Alert("HighErrorRate", "warning", $"{t.App} {t.Version} fails {t.ErrorRate:P0} of requests in {c.Name}", c.Name, t.Namespace, t.Version));
            }
        }

        return Task.FromResult<IReadOnlyList<AlertInfo>>(alerts);

        AlertInfo Alert(string name, string severity, string summary, string cluster, string namespaceName, string version) =>
            new(name, severity, "firing", summary, now, new Dictionary<string, string> { ["app"] = app, ["cluster"] = cluster, ["namespace"] = namespaceName, ["version"] = version });
    }

    private IEnumerable<SimulatedCluster> Clusters(IReadOnlyList<string> names) =>
        names.Count == 0 ? fleet.All : names.Select(fleet.Find).OfType<SimulatedCluster>();
}
