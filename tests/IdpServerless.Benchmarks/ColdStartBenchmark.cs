using System.Diagnostics;
using System.Globalization;

namespace IdpServerless.Benchmarks;

/// <summary>
/// Cold start: from starting the function app's process to the first 200 on <c>/api/health</c>, with Azurite already
/// up. Each run is a fresh process (no warm JIT); the app must be built in Release first
/// (<c>dotnet build functions/IdpServerless.Functions -c Release</c>).
/// Options: <c>--runs N</c> (default 10), <c>--dll PATH</c> (another build of the app, e.g. a ReadyToRun publish).
/// </summary>
public static class ColdStartBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = BenchmarkArgs.Option(args, "--runs") is { } runsText ? int.Parse(runsText, CultureInfo.InvariantCulture) : 10;
        var dll = BenchmarkArgs.Option(args, "--dll") ?? Path.Combine(RepoRoot(), "functions", "IdpServerless.Functions", "bin", "Release", "net10.0", "IdpServerless.Functions.dll");
        if (!File.Exists(dll))
        {
            Console.Error.WriteLine($"{dll} not found: run 'dotnet build functions/IdpServerless.Functions -c Release' first.");
            return 1;
        }

        await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var samples = new List<double>();
        for (var i = 0; i < runs + 1; i++)
        {
            var port = BenchmarkArgs.FreePort();
            var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(dll)!,
            };
            psi.Environment["AzureWebJobsStorage"] = azurite.ConnectionString;
            psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            psi.Environment["IDP_LOCAL_SETTINGS"] = "/nonexistent/local.settings.json";
            psi.Environment["Logging__LogLevel__Default"] = "Warning";
            var watch = Stopwatch.StartNew();
            using var process = Process.Start(psi)!;
            var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
            process.OutputDataReceived += (_, e) => Keep(output, e.Data);
            process.ErrorDataReceived += (_, e) => Keep(output, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var url = $"http://127.0.0.1:{port}/api/health";
            while (true)
            {
                if (process.HasExited)
                {
                    process.WaitForExit();
                    Console.Error.WriteLine($"the app exited with {process.ExitCode}; its last lines:");
                    foreach (var line in output)
                    {
                        Console.Error.WriteLine("  " + line);
                    }

                    return 1;
                }

                try
                {
                    using var r = await http.GetAsync(url);
                    if (r.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet, or answering slowly: keep polling until the deadline.
                }

                if (watch.Elapsed > TimeSpan.FromSeconds(60))
                {
                    Console.Error.WriteLine("no 200 within 60 s");
                    return 1;
                }

                await Task.Delay(2);
            }

            watch.Stop();
            if (i > 0)
            {
                // The first run warms the OS file cache; it is reported apart.
                samples.Add(watch.Elapsed.TotalMilliseconds);
            }
            else
            {
                Console.WriteLine($"first run (cold file cache): {watch.Elapsed.TotalMilliseconds:F0} ms");
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        samples.Sort();
        double P(double p) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(p * samples.Count) - 1)];
        Console.WriteLine($"cold start to first 200 on /api/health over {runs} runs: min {samples[0]:F0} ms, p50 {P(0.5):F0} ms, p95 {P(0.95):F0} ms, max {samples[^1]:F0} ms");
        return 0;
    }

    private static void Keep(System.Collections.Concurrent.ConcurrentQueue<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lines.Enqueue(line);
        while (lines.Count > 30 && lines.TryDequeue(out _))
        {
        }
    }



    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "IdpServerless.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("IdpServerless.sln not found");
    }
}
