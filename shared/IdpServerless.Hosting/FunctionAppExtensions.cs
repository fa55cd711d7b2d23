using IdpServerless.Hosting.Configuration;
using IdpServerless.Hosting.CustomHandler;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Features;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Observability;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Hosting;

/// <summary>Wires the function app's two hosting modes, storage and the cross-cutting parts, once.</summary>
public static class FunctionAppExtensions
{
    /// <summary>Default request body limit (bytes) unless <c>IDP_MAX_REQUEST_BYTES</c> says otherwise.</summary>
    public const long DefaultMaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>Configuration, listen URL, storage, registry, invoker and (standalone) dispatchers.</summary>
    public static WebApplicationBuilder AddFunctionApp(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        config.AddLocalSettings(builder.Environment.ContentRootPath);
        config.AddEnvironmentVariables();
        var mode = HostingModeDetector.Detect(config);
        builder.WebHost.UseUrls(HostingModeDetector.ListenUrl(config));
        var maxBody = long.TryParse(config["IDP_MAX_REQUEST_BYTES"], out var m) && m > 0 ? m : DefaultMaxRequestBytes;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = maxBody;
            k.AddServerHeader = false;
        });

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddAzureStorage(config);
        services.AddSingleton<FunctionRegistry>();
        services.AddSingleton<FunctionInvoker>();
        services.AddSingleton<QueueWakeup>();
        services.AddSingleton(new FunctionAppInfo(mode, HostingModeDetector.IsLocal(config)));
        services.AddOptions<DispatchOptions>().BindConfiguration(DispatchOptions.Section);
        services.AddProblemDetails();
        services.AddSingleton<FeatureStatus>();
        services.AddHostedService<FeatureStatusLogger>();
        services.AddMetricsEndpoint();
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

    /// <summary>Error handling, CORS, health, metrics and (custom-handler mode) the host's invocation endpoints.</summary>
    public static WebApplication UseFunctionApp(this WebApplication app)
    {
        app.Services.StartMetrics();
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
        var info = app.Services.GetRequiredService<FunctionAppInfo>();
        if (info.Mode == HostingMode.CustomHandler)
        {
            app.MapFunctionInvocations();
        }

        app.MapHealth();
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
