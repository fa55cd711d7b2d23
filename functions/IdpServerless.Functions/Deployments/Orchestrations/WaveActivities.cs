using Microsoft.Azure.Functions.Worker;
using IdpServerless.Functions.Delivery;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Git;

namespace IdpServerless.Functions.Deployments.Orchestrations;

/// <summary>Registered names of the activities of releases that go wave by wave.</summary>
public static class WaveFunctions
{
    public const string CheckRollout = "DeploymentCheckWaveRollout";
    public const string Observe = "DeploymentObserveClusters";
}

/// <summary>Input of the wave rollout check: the CD applications of the wave's clusters (one per cluster) and the commit they must reach.</summary>
public sealed record WaveRolloutInput(IReadOnlyList<CdApplication> Applications, string Sha);

/// <summary>Input of the cluster observation: one CD application per cluster.</summary>
public sealed record ObserveClustersInput(IReadOnlyList<CdApplication> Applications);

/// <summary>What one cluster's folder asks for and what its CD application reports.</summary>
public sealed record ClusterObservation(string Cluster, DesiredState? Desired, string Sync, string? Revision, string Health, string? Message);

/// <summary>
/// The rollout check of a wave: every cluster's application checked as <see cref="CheckRolloutActivity"/> does; the wave
/// is synced when all are, and as healthy as its least healthy cluster; messages name their cluster.
/// </summary>
public sealed class CheckWaveRolloutActivity(ICdProvider cd, IGitProvider git)
{
    [Function(WaveFunctions.CheckRollout)]
    public async Task<RolloutCheck> RunAsync([ActivityTrigger] WaveRolloutInput input)
    {
        var one = new CheckRolloutActivity(cd, git);
        var checks = new List<(string Cluster, RolloutCheck Check)>();
        foreach (var app in input.Applications)
        {
            checks.Add((app.Destinations[0].Name, await one.RunAsync(new RolloutInput(app, input.Sha)).ConfigureAwait(false)));
        }

        var worst = checks.Select(c => c.Check.Health).MaxBy(Rank) ?? HealthStatuses.Unknown;
        var messages = checks.Where(c => c.Check.Message is not null || !c.Check.Synced)
            .Select(c => $"{c.Cluster}: " + (c.Check.Synced ? c.Check.Message : $"not synced (at {c.Check.Revision ?? "nothing"})"));
        // The revision of a cluster that lags, so a "not synced" message names where the wave stands.
        var revision = (checks.FirstOrDefault(c => !c.Check.Synced) is { Check: { } lagging } ? lagging : checks[0].Check).Revision;
        var text = string.Join("; ", messages);
        return new RolloutCheck(checks.All(c => c.Check.Synced), worst, revision, text.Length == 0 ? null : text);
    }

    /// <summary>Order of badness, as the local reconciler ranks its clusters' workloads.</summary>
    public static int Rank(string health) => health switch
    {
        HealthStatuses.Degraded => 4,
        HealthStatuses.Missing => 3,
        HealthStatuses.Unknown => 2,
        HealthStatuses.Progressing => 1,
        _ => 0,
    };
}

/// <summary>Reads each cluster's desired state from its folder and its application's sync and health, for the deployment record.</summary>
public sealed class ObserveClustersActivity(ICdProvider cd, GitOpsWriter gitOps)
{
    [Function(WaveFunctions.Observe)]
    public async Task<IReadOnlyList<ClusterObservation>> RunAsync([ActivityTrigger] ObserveClustersInput input)
    {
        var result = new List<ClusterObservation>();
        foreach (var app in input.Applications)
        {
            var desired = await gitOps.ReadAsync(app.Source, CancellationToken.None).ConfigureAwait(false);
            CdApplicationStatus status;
            try
            {
                // Before the first commit to its folder (the first release of the environment) there is nothing to sync.
                status = desired is null
                    ? new CdApplicationStatus(SyncStatuses.Unknown, null, HealthStatuses.Missing, "nothing committed for this cluster yet")
                    : await cd.GetStatusAsync(app, CancellationToken.None).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                // The record shows what could not be read; the release itself decides on its own rollout checks.
                status = new CdApplicationStatus(SyncStatuses.Unknown, null, HealthStatuses.Unknown, e.Message);
            }

            result.Add(new ClusterObservation(app.Destinations[0].Name, desired, status.Sync, status.Revision, status.Health, status.Message));
        }

        return result;
    }
}
