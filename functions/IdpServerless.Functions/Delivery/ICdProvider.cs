using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Functions.Delivery;

/// <summary>Sync states (Argo CD's names).</summary>
public static class SyncStatuses
{
    public const string Synced = "Synced";
    public const string OutOfSync = "OutOfSync";
    public const string Unknown = "Unknown";
}

/// <summary>Health states (Argo CD's names).</summary>
public static class HealthStatuses
{
    public const string Healthy = "Healthy";
    public const string Progressing = "Progressing";
    public const string Degraded = "Degraded";
    public const string Missing = "Missing";
    public const string Unknown = "Unknown";
}

/// <summary>A CD application: one environment of one component, synced from a folder of the deployment repository to its clusters.</summary>
public sealed record CdApplication(string Name, DesiredStateLocation Source, IReadOnlyList<ClusterTarget> Destinations, string App)
{
    /// <summary>The application of <paramref name="environment"/> (named <c>{component}-{environment}</c>).</summary>
    public static CdApplication For(ComponentDelivery delivery, DeliveryEnvironment environment) =>
        new($"{delivery.Name}-{environment.Name}", environment.DesiredState, environment.Clusters, delivery.Name);
}

/// <summary>Sync and health of an application.</summary>
/// <param name="Revision">The commit the clusters were last synced to.</param>
/// <param name="Message">Why it is not healthy, when it is not.</param>
public sealed record CdApplicationStatus(string Sync, string? Revision, string Health, string? Message);

/// <summary>
/// The CD tool that makes clusters follow the deployment repository. Local provider (default): a reconciler over the
/// deployment repository that applies it to the simulated clusters. Real provider: Argo CD's REST API.
/// </summary>
public interface ICdProvider
{
    Task<CdApplicationStatus> GetStatusAsync(CdApplication application, CancellationToken cancellationToken);

    /// <summary>Asks for a sync to the branch head now (instead of waiting for the next poll).</summary>
    Task SyncAsync(CdApplication application, CancellationToken cancellationToken);
}
