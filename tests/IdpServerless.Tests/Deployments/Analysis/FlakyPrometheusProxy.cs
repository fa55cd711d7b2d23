using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace IdpServerless.Tests.Deployments.Analysis;

/// <summary>
/// A loopback proxy in front of the real Prometheus that answers the next N instant queries with 503 (as a Prometheus
/// behind a restarting load balancer does) and forwards everything else unchanged, so a query errors for real while
/// Prometheus's answers stay its own.
/// </summary>
public sealed class FlakyPrometheusProxy(string upstream) : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private WebApplication? _app;
    private int _failNext;
    private int _failed;

    public string Url { get; private set; } = string.Empty;

    /// <summary>How many queries the proxy has failed so far.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>The next <paramref name="n"/> instant queries get a 503.</summary>
    public void FailNext(int n) => Volatile.Write(ref _failNext, n);

    public async Task StartAsync()
    {
        var port = FreePorts.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        _app = builder.Build();
        _app.Run(async context =>
        {
            if (context.Request.Path.StartsWithSegments("/api/v1/query", StringComparison.Ordinal) && !context.Request.Path.StartsWithSegments("/api/v1/query_range", StringComparison.Ordinal)
                && Interlocked.Decrement(ref _failNext) >= 0)
            {
                Interlocked.Increment(ref _failed);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsync("upstream connect error or disconnect/reset before headers");
                return;
            }

            using var response = await _http.GetAsync(upstream.TrimEnd('/') + context.Request.Path + context.Request.QueryString);
            context.Response.StatusCode = (int)response.StatusCode;
            context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            await response.Content.CopyToAsync(context.Response.Body);
        });
        await _app.StartAsync();
        Url = $"http://127.0.0.1:{port}";
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _http.Dispose();
    }
}
