using System.Diagnostics;
using System.Globalization;

namespace IdpServerless.Benchmarks;

/// <summary>
/// The function app (Release build) as a process on a free port for the catalog benchmarks, file locations allowed
/// under the catalog folder; reads its memory from <c>/proc/&lt;pid&gt;/status</c> (VmRSS now, VmHWM the peak since
/// the last <see cref="ResetPeak"/>) and remembers when it started.
/// </summary>
public sealed class CatalogAppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<(string Text, TaskCompletionSource Seen)> _awaited = [];

    private CatalogAppProcess(Process process, Uri baseAddress, Stopwatch sinceStart)
    {
        _process = process;
        BaseAddress = baseAddress;
        SinceStart = sinceStart;
    }

    public Uri BaseAddress { get; }

    /// <summary>Time since the process was spawned.</summary>
    public Stopwatch SinceStart { get; }

    /// <summary>Spawn to the first 200 from <c>/api/health</c>.</summary>
    public TimeSpan HealthAfter { get; private set; }

    public int Pid => _process.Id;

    public static async Task<CatalogAppProcess> StartAsync(string dll, string connectionString, string folder, string admin, IReadOnlyDictionary<string, string>? extra = null)
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        psi.Environment["AzureWebJobsStorage"] = connectionString;
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["IDP_LOCAL_SETTINGS"] = "/nonexistent/local.settings.json";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__LogLevel__IdpServerless.Functions.Catalog"] = "Information";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        psi.Environment["Catalog__FileRoots__0"] = folder;
        psi.Environment["Catalog__RefreshSchedule"] = "0 0 0 1 1 *";

        // Identity stays on (every request carries a dev-issuer token and is authorized); only its per-caller rate
        // limits are turned off through their documented settings, or one load generator would be throttled.
        psi.Environment["IDP_MODE"] = "local";
        psi.Environment["IDP_DATA_DIR"] = Path.Combine(folder, "data");
        psi.Environment["IDP_BOOTSTRAP_ADMINS"] = admin;
        psi.Environment["IDP_RATE_LIMIT_PER_IDENTITY"] = "0";
        psi.Environment["IDP_RATE_LIMIT_PER_ADDRESS"] = "0";
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var watch = Stopwatch.StartNew();
        var process = Process.Start(psi)!;
        var app = new CatalogAppProcess(process, new Uri($"http://127.0.0.1:{port}"), watch);
        process.OutputDataReceived += (_, e) => app.Echo(e.Data);
        process.ErrorDataReceived += (_, e) => app.Echo(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var r = await http.GetAsync(new Uri(app.BaseAddress, "/api/health"));
                if (r.IsSuccessStatusCode)
                {
                    app.HealthAfter = watch.Elapsed;
                    return app;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && DateTime.UtcNow < until)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Completes when the app logs a line containing <paramref name="text"/> (from now on).</summary>
    public Task WaitForLogAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_awaited)
        {
            _awaited.Add((text, seen));
        }

        return seen.Task.WaitAsync(timeout);
    }

    private void Echo(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_awaited)
        {
            foreach (var (text, seen) in _awaited.Where(a => line.Contains(a.Text, StringComparison.Ordinal)).ToList())
            {
                seen.TrySetResult();
                _awaited.Remove((text, seen));
            }
        }

        if (line.Contains("Catalog loaded", StringComparison.Ordinal) || line.Contains("snapshot", StringComparison.OrdinalIgnoreCase)
            || line.Contains("registered (", StringComparison.Ordinal) || line.Contains("fail", StringComparison.Ordinal)
            || line.Contains(" refreshed: ", StringComparison.Ordinal))
        {
            Console.WriteLine($"  app {DateTime.UtcNow:HH:mm:ss}: " + line.Trim());
        }
    }

    /// <summary>CPU time the app has used so far (user + system, every thread), from <c>/proc/&lt;pid&gt;/stat</c>.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // utime and stime (fields 14 and 15 of proc(5)) in clock ticks of 10 ms.
        return TimeSpan.FromMilliseconds((long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10);
    }

    /// <summary>Resident memory now (VmRSS), MiB.</summary>
    public double RssMiB() => Status("VmRSS:");

    /// <summary>Peak resident memory (VmHWM) since the start or the last <see cref="ResetPeak"/>, MiB.</summary>
    public double PeakMiB() => Status("VmHWM:");

    /// <summary>Starts a new peak: writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).</summary>
    public void ResetPeak()
    {
        try
        {
            File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");
        }
        catch (IOException)
        {
            // Not allowed here: the peak then covers the whole life of the process (said in the output's header).
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private double Status(string field)
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
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
}
