using IdpServerless.Hosting.Configuration;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Features;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Observability;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;
using IdpServerless.Hosting.Worker;
using IdpServerless.Storage;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IdpServerless.Hosting;

/// <summary>Wires the function app's two hosting modes, storage and the cross-cutting parts, once.</summary>
public static class FunctionAppExtensions
{
    /// <summary>Default request body limit (bytes) unless <c>IDP_MAX_REQUEST_BYTES</c> says otherwise.</summary>
    public const long DefaultMaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Configuration (defaults for the settings that trigger attributes name as <c>%setting%</c>, local.settings.json,
    /// environment), the hosting mode, Kestrel limits, storage, the app's functions (read from the <c>[Function]</c>
    /// methods of <paramref name="functionAssemblies"/>), the invoker and, standalone, the queue and timer dispatchers.
    /// Under the Functions host the host runs the triggers, so standalone dispatch (and the Durable Task worker) is off.
    /// </summary>
    public static IHostApplicationBuilder AddFunctionApp(this IHostApplicationBuilder builder, IReadOnlyDictionary<string, string?> settingDefaults, params Assembly[] functionAssemblies)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var config = builder.Configuration;
        config.Sources.Insert(0, new MemoryConfigurationSource { InitialData = settingDefaults });
        config.AddLocalSettings(builder.Environment.ContentRootPath);
        config.AddEnvironmentVariables();
        var mode = HostingModeDetector.Detect(config);
        if (mode == HostingMode.FunctionsWorker)
        {
            config.AddInMemoryCollection(new Dictionary<string, string?> { ["Dispatch:Enabled"] = "false" });
        }
        else if (builder is WebApplicationBuilder web)
        {
            web.WebHost.UseUrls(HostingModeDetector.ListenUrl(config));
        }

        var maxBody = long.TryParse(config["IDP_MAX_REQUEST_BYTES"], out var m) && m > 0 ? m : DefaultMaxRequestBytes;
        var services = builder.Services;
        services.Configure<KestrelServerOptions>(k =>
        {
            k.Limits.MaxRequestBodySize = maxBody;
            k.AddServerHeader = false;
        });

        services.AddSingleton(TimeProvider.System);
        services.AddAzureStorage(config);
        services.AddFunctions(config, functionAssemblies);
        services.AddSingleton<FunctionInvoker>();
        services.AddSingleton<QueueWakeup>();
        services.AddSingleton(new FunctionAppInfo(mode, HostingModeDetector.IsLocal(config)));
        services.AddOptions<DispatchOptions>().BindConfiguration(DispatchOptions.Section);
        services.AddProblemDetails();
        services.AddSingleton<FeatureStatus>();
        services.AddHostedService<FeatureStatusLogger>();
        services.AddMetricsEndpoint();
        services.AddSingleton<FunctionsHttpPipeline>();
        if (mode == HostingMode.Standalone)
        {
            services.AddHostedService<QueueDispatcher>();
            services.AddHostedService<TimerDispatcher>();
        }

        var origins = (config["IDP_CORS_ORIGINS"] ?? config["Host:CORS"] ?? string.Empty)
            .Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
        if (origins.Length == 0)
        {
            services.AddFeatureCheck(_ => [new FeatureOff("Cross-origin browser calls",
                "no origin may call the API from a browser, so a browser app on another origin cannot reach it (one served through the same origin, e.g. a Static Web Apps linked backend, can).",
                ["IDP_CORS_ORIGINS"])]);
        }

        var credentials = string.Equals(config["Host:CORSCredentials"], "true", StringComparison.OrdinalIgnoreCase);
        services.AddCors(o => o.AddDefaultPolicy(p =>
        {
            if (origins.Contains("*"))
            {
                p.AllowAnyOrigin();
            }
            else
            {
                p.WithOrigins(origins);
                if (credentials)
                {
                    p.AllowCredentials();
                }
            }

            p.AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("Location", "Retry-After", "ETag").SetPreflightMaxAge(TimeSpan.FromHours(1));
        }));
        return builder;
    }

    /// <summary>Error handling, CORS, health and metrics: the start of the one HTTP pipeline both modes run.</summary>
    public static IApplicationBuilder UseFunctionApp(this IApplicationBuilder app, IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.ApplicationServices.StartMetrics();
        app.UseMiddleware<ProblemMiddleware>();
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.UseStatusCodePages(async ctx =>
        {
            var status = ctx.HttpContext.Response.StatusCode;
            if (ctx.HttpContext.Response.HasStarted || ctx.HttpContext.Response.ContentLength > 0)
            {
                return;
            }

            if (status == StatusCodes.Status405MethodNotAllowed)
            {
                await ProblemMiddleware.WriteAsync(ctx.HttpContext, MethodNotAllowed.Problem(ctx.HttpContext), "Allow").ConfigureAwait(false);
                return;
            }

            var (type, title) = status switch
            {
                404 => (ProblemTypes.NotFound, "No function answers this route."),
                415 => (ProblemTypes.BadRequest, "Unsupported content type; send application/json."),
                401 => (ProblemTypes.Unauthenticated, "Sign in: a valid bearer token is required."),
                403 => (ProblemTypes.Forbidden, "Forbidden."),
                413 => (ProblemTypes.PayloadTooLarge, "Payload too large."),
                429 => (ProblemTypes.RateLimited, "Too many requests."),
                _ => (ProblemTypes.BadRequest, "Request failed."),
            };
            await ProblemMiddleware.WriteAsync(ctx.HttpContext, new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Type = type, Title = title }).ConfigureAwait(false);
        });
        app.UseCors();
        endpoints.MapHealth();
        return app;
    }

    private static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/health", (FunctionAppInfo info) => Results.Ok(new { status = "Healthy", mode = info.Mode.ToString() }))
            .WithName("Health").WithTags("Operations").AllowAnonymousFunction("liveness probe");
        // featuresOff: what is off for lack of settings (it does not make the app unready: the rest works).
        app.MapGet("/api/health/ready", async (StorageClient storage, FeatureStatus features, CancellationToken ct) =>
        {
            try
            {
                await storage.GetTable(TimerDispatcher.ClaimsTable).QueryPageAsync(top: 1, ct: ct).ConfigureAwait(false);
                return Results.Ok(new { status = "Ready", storage = "reachable", featuresOff = features.Off });
            }
            catch (StorageNotFoundException)
            {
                return Results.Ok(new { status = "Ready", storage = "reachable", featuresOff = features.Off });
            }
            catch (Exception e) when (e is StorageException or HttpRequestException or TaskCanceledException)
            {
                return Results.Problem(statusCode: 503, type: ProblemTypes.Unavailable, title: "Storage is not reachable.", detail: e.GetType().Name,
                    extensions: new Dictionary<string, object?> { ["featuresOff"] = features.Off });
            }
        }).WithName("Readiness").WithTags("Operations").AllowAnonymousFunction("readiness probe");
        app.MapMetricsEndpoint()
            .WithName("Metrics").WithTags("Operations").ExcludeFromDescription().AllowAnonymousFunction("Prometheus scrape; restrict at the network edge");
    }
}

/// <summary>How this process is hosted.</summary>
public sealed record FunctionAppInfo(HostingMode Mode, bool IsLocal);
