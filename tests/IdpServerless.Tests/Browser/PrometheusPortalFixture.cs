using IdpServerless.Tests.Deployments;

namespace IdpServerless.Tests.Browser;

/// <summary>
/// The portal of <see cref="PortalFixture"/> with a real Prometheus as its metrics provider
/// (<c>Metrics:Provider=prometheus</c>), scraping per-track series a test controls through <see cref="Metrics"/>. A
/// canary's judgement needs range queries, which the simulated provider does not answer (every metric would be
/// nodata); the provider is one per app process, so this is a portal of its own rather than a setting of the shared one,
/// whose canaries measure the simulated clusters' traffic.
/// </summary>
public sealed class PrometheusPortalFixture : PortalFixture
{
    private readonly PrometheusFixture _prometheus = new();

    /// <summary>The instrumented app's series Prometheus scrapes every second.</summary>
    public TestMetricsEndpoint Metrics => _prometheus.Metrics;

    /// <summary>The instant value of a PromQL query straight from Prometheus, or null.</summary>
    public Task<double?> QueryPrometheusAsync(string promQl) => _prometheus.QueryAsync(promQl);

    protected override async Task<IReadOnlyDictionary<string, string>> StartDependenciesAsync()
    {
        await _prometheus.InitializeAsync();
        return new Dictionary<string, string>
        {
            ["Metrics__Provider"] = "prometheus",
            ["Metrics__PrometheusUrl"] = _prometheus.Url,
            // The PromQL range of a sample: a few scrapes, so a 1 s judgement interval sees fresh rates.
            ["Deployments__AnalysisWindow"] = "5s",
            // A rolled-back canary scales down in its rollback commit, as in the other release tests, not 30 s later.
            ["Deployments__AbortScaleDownDelay"] = "00:00:00",
        };
    }

    protected override Task StopDependenciesAsync() => _prometheus.DisposeAsync();
}

// A second app, Prometheus and Chromium beside the "portal" collection's would starve the timing-bound tests on 2 cores:
// this collection runs alone, after the parallel ones.
[CollectionDefinition("portal-prometheus", DisableParallelization = true)]
public sealed class PrometheusPortalCollection : ICollectionFixture<PrometheusPortalFixture>;
