using IdpServerless.Functions.Clusters.Simulated;
using IdpServerless.Functions.Delivery;
using IdpServerless.Functions.Monitoring;
using IdpServerless.Hosting.Features;

namespace IdpServerless.Functions.Clusters;

public static class ClustersRegistration
{
    /// <summary>
    /// Cluster, CD and metrics providers. Defaults are the local ones (simulated clusters, the local reconciler,
    /// metrics from the simulated clusters); <c>Clusters:Provider=kubernetes</c> with <c>Delivery:Provider=argocd</c>
    /// and <c>Metrics:Provider=prometheus</c> select the real ones.
    /// </summary>
    public static IServiceCollection AddClusters(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.Section);
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section);
        var clusters = configuration[$"{ClusterOptions.Section}:Provider"] ?? "simulated";
        var delivery = configuration[$"{DeliveryOptions.Section}:Provider"] ?? "local";
        var metrics = configuration[$"{MetricsOptions.Section}:Provider"] ?? "simulated";
        services.AddSingleton<SimulatedClusterFleet>();
        switch (clusters)
        {
            case "simulated":
                services.AddSingleton<IClusterProvider, SimulatedClusterProvider>();
                break;
            case "kubernetes":
                if (!RequireKubernetesEndpoints(configuration))
                {
                    services.AddFeatureCheck(_ => [new FeatureOff("Kubernetes clusters",
                        "Clusters__Provider is kubernetes but no cluster is configured, so no clusters or workloads are shown.",
                        ["Clusters__Kubernetes__<name>__Server", "Clusters__Kubernetes__<name>__Kubeconfig", "Clusters__Kubernetes__<name>__InCluster"])]);
                }

                services.AddSingleton<IClusterProvider, KubernetesClusterProvider>();
                break;
            default:
                throw new InvalidOperationException($"Clusters:Provider='{clusters}' is not one of simulated, kubernetes.");
        }

        switch (delivery)
        {
            case "local":
                services.AddSingleton<ICdProvider, LocalReconciler>();
                break;
            case "argocd":
                if (string.IsNullOrWhiteSpace(configuration[$"{DeliveryOptions.Section}:ArgoCdUrl"]))
                {
                    throw new InvalidOperationException("Delivery:ArgoCdUrl is required when Delivery:Provider=argocd.");
                }

                services.AddHttpClient<ICdProvider, ArgoCdProvider>();
                break;
            default:
                throw new InvalidOperationException($"Delivery:Provider='{delivery}' is not one of local, argocd.");
        }

        switch (metrics)
        {
            case "simulated":
                services.AddSingleton<IMetricsProvider, SimulatedMetricsProvider>();
                break;
            case "prometheus":
                if (string.IsNullOrWhiteSpace(configuration[$"{MetricsOptions.Section}:PrometheusUrl"]))
                {
                    throw new InvalidOperationException("Metrics:PrometheusUrl is required when Metrics:Provider=prometheus.");
                }

                services.AddHttpClient<IMetricsProvider, PrometheusMetricsProvider>();
                break;
            default:
                throw new InvalidOperationException($"Metrics:Provider='{metrics}' is not one of simulated, prometheus.");
        }

        return services;
    }

    /// <summary>
    /// Every configured Kubernetes cluster needs a source of its API server (Server, Kubeconfig or InCluster), a Context
    /// only with a Kubeconfig, not both Kubeconfig and InCluster, and a positive Timeout; none at all is a feature off.
    /// </summary>
    private static bool RequireKubernetesEndpoints(IConfiguration configuration)
    {
        var clusters = configuration.GetSection($"{ClusterOptions.Section}:Kubernetes").GetChildren().ToList();
        var problems = new List<string>();
        foreach (var c in clusters)
        {
            var inCluster = bool.TryParse(c["InCluster"], out var b) && b;
            var kubeconfig = !string.IsNullOrWhiteSpace(c["Kubeconfig"]);
            if (string.IsNullOrWhiteSpace(c["Server"]) && !kubeconfig && !inCluster)
            {
                problems.Add($"Clusters:Kubernetes:{c.Key}: Server (or Kubeconfig, or InCluster=true) is required");
            }

            if (!string.IsNullOrWhiteSpace(c["Context"]) && !kubeconfig)
            {
                problems.Add($"Clusters:Kubernetes:{c.Key}: Context needs Kubeconfig");
            }

            if (kubeconfig && inCluster)
            {
                problems.Add($"Clusters:Kubernetes:{c.Key}: Kubeconfig and InCluster=true exclude each other");
            }

            if (c["Timeout"] is { Length: > 0 } timeout && (!TimeSpan.TryParse(timeout, System.Globalization.CultureInfo.InvariantCulture, out var t) || t <= TimeSpan.Zero))
            {
                problems.Add($"Clusters:Kubernetes:{c.Key}: Timeout '{timeout}' is not a positive time span (e.g. 00:00:30)");
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems) + ".");
        }

        return clusters.Count > 0;
    }
}
