using IdpServerless.Functions.Clusters;
using IdpServerless.Functions.Clusters.Simulated;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Git;

namespace IdpServerless.Functions.Delivery;

/// <summary>
/// The local CD provider: like Argo CD with auto-sync, it applies the branch head of the application's folder to each
/// destination simulated cluster whenever the head moved, then reports health from the clusters' workloads.
/// </summary>
public sealed partial class LocalReconciler(IGitProvider git, SimulatedClusterFleet fleet, ILogger<LocalReconciler> logger) : ICdProvider
{
    public async Task<CdApplicationStatus> GetStatusAsync(CdApplication application, CancellationToken cancellationToken)
    {
        var head = await SyncCoreAsync(application, cancellationToken).ConfigureAwait(false);
        if (head is null)
        {
            return new CdApplicationStatus(SyncStatuses.Unknown, null, HealthStatuses.Missing, $"Branch '{application.Source.Branch}' of {application.Source.Repository} does not exist.");
        }

        var messages = new List<string>();
        var health = HealthStatuses.Healthy;
        foreach (var d in application.Destinations)
        {
            var cluster = fleet.Find(d.Name);
            if (cluster is null)
            {
                return new CdApplicationStatus(SyncStatuses.Unknown, head, HealthStatuses.Unknown, $"Cluster '{d.Name}' is not one of the simulated clusters.");
            }

            var workloads = cluster.Workloads(d.Namespace, application.App);
            if (workloads.Count == 0)
            {
                health = Worse(health, HealthStatuses.Missing);
                messages.Add($"{d.Name}: no workloads");
            }

            foreach (var w in workloads.Where(w => w.Status != HealthStatuses.Healthy))
            {
                health = Worse(health, w.Status);
                messages.Add($"{d.Name}: {w.Name} {w.Version} {w.Replicas.Ready}/{w.Replicas.Desired} ready" + (w.Message is null ? string.Empty : $" ({w.Message})"));
            }
        }

        return new CdApplicationStatus(SyncStatuses.Synced, head, health, messages.Count == 0 ? null : string.Join("; ", messages));
    }

    public async Task SyncAsync(CdApplication application, CancellationToken cancellationToken) =>
        await SyncCoreAsync(application, cancellationToken).ConfigureAwait(false);

    private async Task<string?> SyncCoreAsync(CdApplication application, CancellationToken cancellationToken)
    {
        var source = application.Source;
        var head = await git.GetHeadAsync(source.Repository, source.Branch, cancellationToken).ConfigureAwait(false);
        if (head is null)
        {
            return null;
        }

        var stale = application.Destinations.Where(d => fleet.Find(d.Name) is { } c && c.AppliedRevision(d.Namespace, application.App) != head).ToList();
        if (stale.Count == 0)
        {
            return head;
        }

        var bytes = await git.ReadFileAsync(source.Repository, DesiredStateFiles.Join(source.Path, DesiredStateFiles.Values), head, cancellationToken).ConfigureAwait(false);
        var state = DesiredStateFiles.ParseValues(bytes);
        if (state is null)
        {
            return head;
        }

        foreach (var d in stale)
        {
            fleet.Get(d.Name).Apply(d.Namespace, state, head);
            Log.Applied(logger, application.Name, d.Name, head);
        }

        return head;
    }

    private static string Worse(string a, string b)
    {
        static int Rank(string s) => s switch { HealthStatuses.Degraded => 3, HealthStatuses.Missing => 2, HealthStatuses.Progressing => 1, _ => 0 };
        return Rank(b) > Rank(a) ? b : a;
    }

    private static partial class Log
    {
        [LoggerMessage(6101, LogLevel.Debug, "Reconciled {Application} on {Cluster} to {Revision}")]
        public static partial void Applied(ILogger logger, string application, string cluster, string revision);
    }
}
