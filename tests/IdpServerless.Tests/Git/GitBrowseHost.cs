using IdpServerless.Functions.Git;
using IdpServerless.Hosting.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Git;

/// <summary>The Git browse endpoints hosted in-process with the app's error middleware, over the provider the settings choose.</summary>
public sealed class GitBrowseHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GitBrowseHost(WebApplication app)
    {
        _app = app;
        Http = app.GetTestClient();
    }

    public HttpClient Http { get; }

    public IGitProvider Git => _app.Services.GetRequiredService<IGitProvider>();

    public IServiceProvider Services => _app.Services;

    public static async Task<GitBrowseHost> StartAsync(IReadOnlyDictionary<string, string> settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }

        builder.Services.AddProblemDetails();
        builder.Services.AddGitProvider(builder.Configuration);
        var app = builder.Build();
        app.UseMiddleware<ProblemMiddleware>();
        app.MapGitApi();
        await app.StartAsync();
        return new GitBrowseHost(app);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.DisposeAsync();
    }
}
