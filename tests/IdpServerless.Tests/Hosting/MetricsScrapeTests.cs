using System.Net;
using System.Text;
using IdpServerless.Tests.Deployments;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Hosting;

/// <summary>A real Prometheus scrapes the function app's own <c>/metrics</c> and answers queries over what it stored.</summary>
[Collection(AzuriteCollection.Name)]
public class MetricsScrapeTests(AzuriteFixture azurite, PrometheusFixture prometheus) : IClassFixture<PrometheusFixture>
{
    [Fact]
    public async Task Prometheus_scrapes_the_apps_metrics_without_error_and_queries_counters_and_histograms_by_their_names()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, customHandler: true);
        for (var i = 0; i < 3; i++)
        {
            var envelope = $$$"""{"Data":{"message":"{\"probeId\":\"scrape-{{{i}}}\"}"},"Metadata":{"DequeueCount":1,"Id":"s{{{i}}}"}}""";
            using var r = await app.Http.PostAsync("/DiagnosticsProbe", new StringContent(envelope, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        await prometheus.ScrapeAsync(app.Port);
        var target = await Eventually.ValueAsync(async () => await prometheus.TargetAsync(app.Port) is { } t ? (object)t : null,
            TimeSpan.FromSeconds(30), "Prometheus to scrape the app's /metrics");
        // A scrape Prometheus cannot parse is health "down" with the parser's error.
        Assert.Equal(("up", string.Empty), ((string, string))target);

        var series = $"instance=\"127.0.0.1:{app.Port}\",function=\"DiagnosticsProbe\"";
        var invocations = await Eventually.ValueAsync(async () => await prometheus.QueryAsync($"idp_function_invocations_total{{{series},outcome=\"success\",trigger=\"queue\"}}") is { } v ? (object)v : null,
            TimeSpan.FromSeconds(30), "the invocations counter in Prometheus");
        Assert.Equal(3d, invocations);
        Assert.Equal(3d, await prometheus.QueryAsync($"idp_function_duration_seconds_count{{{series},trigger=\"queue\"}}"));
        Assert.Equal(15d, await prometheus.QueryAsync($"count(idp_function_duration_seconds_bucket{{{series}}})"));
        Assert.Equal(3d, await prometheus.QueryAsync($"idp_function_duration_seconds_bucket{{{series},le=\"60\"}}"));
        var median = await prometheus.QueryAsync($"histogram_quantile(0.5, sum by (le) (idp_function_duration_seconds_bucket{{{series}}}))");
        Assert.InRange(median ?? double.NaN, 0, 60);
        Assert.Equal("counter", await prometheus.MetadataTypeAsync("idp_function_invocations_total"));
        Assert.Equal("histogram", await prometheus.MetadataTypeAsync("idp_function_duration_seconds"));
    }
}
