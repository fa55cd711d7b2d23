using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Clusters.Simulated;

/// <summary>The simulated clusters named in <c>Clusters:Simulated</c> (<c>name[=region]</c>, comma-separated).</summary>
public sealed class SimulatedClusterFleet
{
    private readonly Dictionary<string, SimulatedCluster> _clusters = new(StringComparer.OrdinalIgnoreCase);

    public SimulatedClusterFleet(IOptions<ClusterOptions> options, TimeProvider time)
    {
        foreach (var item in options.Value.Simulated.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, region) = item.Split('=', 2) is [var n, var r] ? (n.Trim(), r.Trim()) : (item, "local");
            _clusters[name] = new SimulatedCluster(name, region, options.Value, time);
        }
    }

    public IReadOnlyCollection<SimulatedCluster> All => _clusters.Values;

    public SimulatedCluster? Find(string name) => _clusters.GetValueOrDefault(name);

    public SimulatedCluster Get(string name) => Find(name) ?? throw new ClusterNotFoundException(name);
}

/// <summary>The local cluster provider: answers from the simulated clusters.</summary>
public sealed class SimulatedClusterProvider(SimulatedClusterFleet fleet, IOptions<ClusterOptions> options) : IClusterProvider
{
    public Task<IReadOnlyList<ClusterInfo>> ListClustersAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<ClusterInfo> list = fleet.All.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c =>
        {
            var (cpu, memory) = c.Usage();
            var degraded = c.Apps().SelectMany(a => c.Workloads(a.Ns, a.App)).Any(w => w.Status == "Degraded");
            var grafana = options.Value.GrafanaUrl is { } g ? $"{g.TrimEnd('/')}/d/cluster?var-cluster={Uri.EscapeDataString(c.Name)}" : null;
            return new ClusterInfo(c.Name, "simulated", c.Region, degraded ? "Degraded" : "Healthy", c.Nodes, new ResourceCapacity(Math.Round(cpu, 2), 12), new ResourceCapacity(Math.Round(memory, 2), 48), grafana);
        }).ToList();
        return Task.FromResult(list);
    }

    public Task<IReadOnlyList<Workload>> GetWorkloadsAsync(string cluster, string ns, string app, CancellationToken cancellationToken) =>
        Task.FromResult(fleet.Get(cluster).Workloads(ns, app));

    public Task<IReadOnlyList<ClusterEvent>> GetEventsAsync(string cluster, string ns, string app, CancellationToken cancellationToken) =>
        Task.FromResult(fleet.Get(cluster).Events(app));
}
