using IdpServerless.Functions.Delivery;
using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Functions.Deployments.GitOps;

/// <summary>
/// The deployment repository's layout for an environment with waves: one folder per cluster,
/// <c>{environment path}/clusters/{cluster}/</c>, each holding the files of <see cref="DesiredStateFiles"/>, and one CD
/// application per cluster, <c>{app}-{environment}-{cluster}</c>, that syncs that folder to that cluster alone (in Argo
/// CD: an Application per cluster, or an ApplicationSet whose git directory generator walks <c>{environment}/clusters/*</c>).
/// A wave commits to its clusters' folders only, so clusters not reached yet keep the stable version.
/// </summary>
public static class WaveLayout
{
    public const string ClustersFolder = "clusters";

    /// <summary>The folder of <paramref name="cluster"/> under the environment's folder.</summary>
    public static string Folder(string environmentPath, string cluster) => DesiredStateFiles.Join(environmentPath, $"{ClustersFolder}/{cluster}");

    public static DesiredStateLocation Location(DeliveryEnvironment environment, string cluster) =>
        environment.DesiredState with { Path = Folder(environment.DesiredState.Path, cluster) };

    /// <summary>The CD application of one cluster of the environment.</summary>
    public static CdApplication Application(string app, DeliveryEnvironment environment, ClusterTarget cluster) =>
        new($"{app}-{environment.Name}-{cluster.Name}", Location(environment, cluster.Name), [cluster], app);
}
