using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Monitoring;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace IdpServerless.Tests.Deployments;

public class PrometheusMetricsProviderTests(PrometheusFixture prometheus) : IClassFixture<PrometheusFixture>
{
    private PrometheusMetricsProvider Provider() =>
        new(new HttpClient(), Options.Create(new MetricsOptions { Provider = "prometheus", PrometheusUrl = prometheus.Url }), TimeProvider.System);

    private static MetricQuery Query(string metric, string query, string app, string version) =>
        new(metric, query.Replace("{{app}}", app, StringComparison.Ordinal).Replace("{{namespace}}", app, StringComparison.Ordinal)
            .Replace("{{version}}", version, StringComparison.Ordinal).Replace("{{window}}", "5s", StringComparison.Ordinal), app, app, version, []);

    [Fact]
    public async Task The_built_in_success_rate_and_latency_queries_measure_a_version_in_a_real_Prometheus()
    {
        // 0.5% errors: clearly above the 99% pass mark (1% would sit exactly on it, and rate()'s extrapolation over
        // scrape jitter then lands either side: 0.98997 was measured once).
        prometheus.Metrics.Set("checkout", "checkout", "1.0", rps: 200, errorRate: 0.005, latencySeconds: 0.08);
        prometheus.Metrics.Set("checkout", "checkout", "2.0", rps: 200, errorRate: 0.5, latencySeconds: 2);
        var provider = Provider();

        var good = await Eventually.ValueAsync(async () => (await provider.QueryAsync(Query("success-rate", StrategyParser.SuccessRateQuery, "checkout", "1.0"), default)).Value, TimeSpan.FromSeconds(30), "a success rate for 1.0");
        var bad = await Eventually.ValueAsync(async () => (await provider.QueryAsync(Query("success-rate", StrategyParser.SuccessRateQuery, "checkout", "2.0"), default)).Value, TimeSpan.FromSeconds(30), "a success rate for 2.0");
        var p99 = await Eventually.ValueAsync(async () => (await provider.QueryAsync(Query("latency-p99", StrategyParser.LatencyP99Query, "checkout", "2.0"), default)).Value, TimeSpan.FromSeconds(30), "a p99 for 2.0");
        var missing = await provider.QueryAsync(Query("success-rate", StrategyParser.SuccessRateQuery, "checkout", "9.9"), default);

        Assert.InRange(good!.Value, new DeploymentOptions().SuccessRateThreshold, 1);
        Assert.InRange(good.Value, 0.99, 0.999);
        Assert.InRange(bad!.Value, 0.3, 0.7);
        Assert.InRange(p99!.Value, 1, 2.5);
        Assert.Null(missing.Value);
        Assert.NotNull(missing.Reason);
    }

    [Fact]
    public async Task Alerts_are_filtered_by_the_component_labels()
    {
        prometheus.Metrics.Set("payments", "payments", "3.0", rps: 100, errorRate: 0.6, latencySeconds: 0.1);
        prometheus.Metrics.Set("search", "search", "1.0", rps: 100, errorRate: 0, latencySeconds: 0.1);
        var provider = Provider();

        var alerts = await Eventually.ValueAsync(async () =>
        {
            var a = await provider.GetAlertsAsync("payments", null, default);
            return a.Count > 0 ? a : null;
        }, TimeSpan.FromSeconds(30), "the HighErrorRate alert for payments");
        var none = await provider.GetAlertsAsync("search", null, default);

        var alert = Assert.Single(alerts);
        Assert.Equal(("HighErrorRate", "critical"), (alert.Name, alert.Severity));
        Assert.Equal("3.0", alert.Labels["version"]);
        Assert.Empty(none);
    }

    [Fact]
    public async Task A_bad_query_is_an_error_naming_Prometheus()
    {
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => Provider().QueryAsync(new MetricQuery("x", "sum(", "a", "a", "1", []), default));

        Assert.Contains("Prometheus answered 400", e.Message, StringComparison.Ordinal);
    }
}
