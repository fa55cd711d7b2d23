using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace IdpServerless.Hosting.Observability;

/// <summary>
/// <c>GET /metrics</c>: the app's System.Diagnostics.Metrics instruments (<see cref="FunctionTelemetry.Meter"/>, ASP.NET
/// Core's hosting and Kestrel meters) in Prometheus format through OpenTelemetry's Prometheus exporter. Its naming
/// keeps the names dashboards and alerts use (counters end in <c>_total</c>, histograms in seconds in
/// <c>_seconds</c>); the options below keep the labels and buckets as they were (docs/architecture.md, Metrics).
/// </summary>
public static class MetricsEndpoint
{
    /// <summary>The scrape route (Prometheus's default).</summary>
    public const string Path = "/metrics";

    /// <summary>The upper bounds (seconds) of every histogram's buckets: alerts and dashboards read these <c>le</c> values.</summary>
    public static readonly IReadOnlyList<double> Buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>The meters served.</summary>
    public static readonly IReadOnlyList<string> Meters = [FunctionTelemetry.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    /// <summary>Registers the meter provider behind <c>/metrics</c>; it listens from the moment it is first resolved.</summary>
    public static IServiceCollection AddMetricsEndpoint(this IServiceCollection services) =>
        services.AddSingleton(_ => new ScrapeProvider(Sdk.CreateMeterProviderBuilder()
            .AddMeter([.. Meters])
            .AddView(instrument => IsHistogram(instrument) ? new ExplicitBucketHistogramConfiguration { Boundaries = [.. Buckets] } : null)
            .AddPrometheusExporter(o =>
            {
                // No otel_scope_* labels on every series and no target_info series: the labels stay what the
                // instruments record, as queries and alerts match them.
                o.ScopeInfoEnabled = false;
                o.TargetInfoEnabled = false;
                // Every scrape collects afresh (the default serves the previous answer for 300 ms).
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            })
            .Build()));

    /// <summary>Starts listening to the instruments now, so measurements made before the first scrape count.</summary>
    public static void StartMetrics(this IServiceProvider services) => _ = services.GetRequiredService<ScrapeProvider>();

    /// <summary>
    /// Maps <c>GET /metrics</c>, always in the Prometheus text format 0.0.4 (which every scraper reads): negotiated
    /// OpenMetrics would add a <c>_created</c> series beside every counter and histogram and write the bucket bounds
    /// as <c>le="1.0"</c>, so the series Prometheus stores would change under queries that name them.
    /// </summary>
    public static IEndpointConventionBuilder MapMetricsEndpoint(this IEndpointRouteBuilder app) =>
        app.MapPrometheusScrapingEndpoint(Path, app.ServiceProvider.GetRequiredService<ScrapeProvider>().Provider,
                configureBranchedPipeline: pipeline => pipeline.Use((context, next) =>
                {
                    context.Request.Headers.Accept = TextFormat;
                    return next(context);
                }),
                optionsName: null)
            .WithMetadata(new HttpMethodMetadata(["GET"]));

    private const string TextFormat = "text/plain; version=0.0.4";

    private static bool IsHistogram(Instrument instrument) =>
        instrument.GetType() is { IsGenericType: true } t && t.GetGenericTypeDefinition() == typeof(Histogram<>);

    /// <summary>Owns the provider so the container disposes it at shutdown.</summary>
    private sealed class ScrapeProvider(MeterProvider provider) : IDisposable
    {
        public MeterProvider Provider { get; } = provider;

        public void Dispose() => Provider.Dispose();
    }
}
