using IdpServerless.Hosting.Features;
using IdpServerless.Hosting.Observability;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace IdpServerless.Functions.Infrastructure;

/// <summary>
/// OpenTelemetry traces and metrics exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (Application
/// Insights, Grafana, Jaeger...). Prometheus scrapes <c>/metrics</c> either way.
/// </summary>
public static class Telemetry
{
    public static IServiceCollection AddAppTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return services.AddFeatureCheck(_ => [new FeatureOff("OTLP export of traces and metrics",
                "no OTLP endpoint is configured; Prometheus can still scrape /metrics.", ["OTEL_EXPORTER_OTLP_ENDPOINT"])]);
        }

        var resource = ResourceBuilder.CreateDefault().AddService(configuration["OTEL_SERVICE_NAME"] ?? "idpserverless-functions");
        var tracer = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(FunctionTelemetry.Name, "Microsoft.AspNetCore")
            .AddOtlpExporter(o => o.Endpoint = new Uri(endpoint))
            .Build();
        var meter = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(FunctionTelemetry.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddOtlpExporter(o => o.Endpoint = new Uri(endpoint))
            .Build();
        services.AddSingleton(new TelemetryProviders(tracer, meter));
        return services;
    }

    /// <summary>Holds the providers so the container disposes (and flushes) them at shutdown.</summary>
    private sealed class TelemetryProviders(TracerProvider? tracer, MeterProvider? meter) : IDisposable
    {
        public void Dispose()
        {
            tracer?.Dispose();
            meter?.Dispose();
        }
    }
}
