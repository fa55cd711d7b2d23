using System.Diagnostics;
using System.Text.RegularExpressions;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Browser;

/// <summary>The browser app's own static server (static-web/serve.mjs) on a free port, pointed at a backend.</summary>
public sealed partial class StaticWebServer : IAsyncDisposable
{
    private readonly Process _process;

    private StaticWebServer(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<StaticWebServer> StartAsync(Uri api)
    {
        var dist = Path.Combine(RepoPaths.Root, "static-web", "dist", "index.html");
        if (!File.Exists(dist))
        {
            throw new InvalidOperationException("The browser app is not built: run 'npm ci && npm run build' in static-web (scripts/test.sh does).");
        }

        var psi = new ProcessStartInfo("node")
        {
            ArgumentList = { "serve.mjs", "--port", "0", "--api", api.ToString().TrimEnd('/') },
            WorkingDirectory = Path.Combine(RepoPaths.Root, "static-web"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node serve.mjs");
        var url = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && Listening().Match(line) is { Success: true } m)
            {
                url.TrySetResult(new Uri(m.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = await url.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return new StaticWebServer(process, address);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
