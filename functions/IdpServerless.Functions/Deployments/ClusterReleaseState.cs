using IdpServerless.Functions.Deployments.GitOps;

namespace IdpServerless.Functions.Deployments;

/// <summary>Where a cluster is in a release that goes wave by wave.</summary>
public static class WaveStates
{
    /// <summary>Its wave has not started: the cluster keeps the stable version.</summary>
    public const string Waiting = "Waiting";

    /// <summary>Its wave runs the environment's strategy (or the wave's analysis or soak).</summary>
    public const string Progressing = "Progressing";

    /// <summary>Its wave finished: the cluster runs the new version.</summary>
    public const string Succeeded = "Succeeded";

    /// <summary>A wave failed or the release was stopped: the cluster was put back to the stable version.</summary>
    public const string RolledBack = "RolledBack";
}

/// <summary>
/// One cluster of a release that goes wave by wave, as the deployment record shows it: its wave, where it is
/// (<see cref="WaveStates"/>), what its folder in Git asks for (the serving version and the tracks with their weights),
/// and what the CD tool reports (sync revision, health).
/// </summary>
/// <param name="Cluster">The cluster's name.</param>
/// <param name="Wave">The wave's name.</param>
/// <param name="WaveIndex">The wave's position, from 1.</param>
/// <param name="State">One of <see cref="WaveStates"/>.</param>
/// <param name="Version">The version its desired state serves (most traffic), null before the first deployment.</param>
/// <param name="Tracks">Its desired state's tracks (version, replicas, weight).</param>
/// <param name="Sync">Sync status of its CD application.</param>
/// <param name="Revision">The commit its CD application last synced.</param>
/// <param name="Health">Health of its CD application.</param>
/// <param name="Message">Why it is not healthy, when it is not.</param>
/// <param name="ObservedAt">When this was read.</param>
public sealed record ClusterReleaseState(
    string Cluster,
    string Wave,
    int WaveIndex,
    string State,
    string? Version,
    IReadOnlyList<Track> Tracks,
    string? Sync,
    string? Revision,
    string? Health,
    string? Message,
    DateTimeOffset? ObservedAt);
