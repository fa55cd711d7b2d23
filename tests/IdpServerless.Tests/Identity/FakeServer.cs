using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Identity;

/// <summary>
/// A real HTTP server on a free loopback port for services that cannot run here (an OIDC issuer, Vault, Key Vault and
/// the managed identity endpoint), answering in their documented shapes. Tests only.
/// </summary>
public sealed class FakeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Url => BaseAddress.AbsoluteUri.TrimEnd('/');

    /// <summary>Starts on http, or on https with <paramref name="certificate"/> (for clients that refuse plain http).</summary>
    public static async Task<FakeServer> StartAsync(Action<WebApplication> map, X509Certificate2? certificate = null)
    {
        var port = Infrastructure.FreePorts.Next();
        var builder = WebApplication.CreateSlimBuilder();
        if (certificate is null)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }
        else
        {
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.UseHttps(certificate)));
        }

        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new FakeServer(app, new Uri($"{(certificate is null ? "http" : "https")}://127.0.0.1:{port}"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
