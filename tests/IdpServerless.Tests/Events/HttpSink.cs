using System.Collections.Concurrent;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Events;

/// <summary>A request a sink received.</summary>
public sealed record SinkRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// An in-test HTTP server on a fixed loopback port standing in for Slack, PagerDuty or a webhook receiver. It answers
/// with <see cref="Responder"/> while up; <see cref="Fail"/> makes it answer 503 like a provider in trouble, and
/// <see cref="StopAsync"/> / <see cref="StartAsync"/> make the port refuse connections and come back.
/// </summary>
public sealed class HttpSink : IAsyncDisposable
{
    private WebApplication? _app;

    private HttpSink(int port) => Port = port;

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Requests answered with success.</summary>
    public ConcurrentQueue<SinkRequest> Received { get; } = new();

    /// <summary>Requests answered with an error while failing.</summary>
    public ConcurrentQueue<SinkRequest> Refused { get; } = new();

    public volatile bool Fail;

    /// <summary>Status and body for a request while up (default: Slack's 200 <c>ok</c>).</summary>
    public Func<SinkRequest, (int Status, string Body, string ContentType)> Responder { get; set; } = _ => (200, "ok", "text/plain");

    public static async Task<HttpSink> StartNewAsync()
    {
        var sink = new HttpSink(FreePorts.Next());
        await sink.StartAsync();
        return sink;
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(Url);
        var app = builder.Build();
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var request = new SinkRequest(context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), await reader.ReadToEndAsync());
            if (Fail)
            {
                Refused.Enqueue(request);
                context.Response.StatusCode = 503;
                await context.Response.WriteAsync("service unavailable");
                return;
            }

            var (status, body, contentType) = Responder(request);
            Received.Enqueue(request);
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            await context.Response.WriteAsync(body);
        });
        await app.StartAsync();
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
