using System.Diagnostics;
using System.Globalization;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Deployments;

/// <summary>
/// A real Prometheus (the Debian package at /usr/bin/prometheus; scripts/test.sh installs it) on a free loopback port,
/// with a generated config scraping a <see cref="TestMetricsEndpoint"/> every second and one alerting rule, storage
/// in a temporary folder. Stopped (only this process) and cleaned up at the end. <see cref="ScrapeAsync"/> adds a
/// target while it runs (file-based discovery), e.g. the function app's own <c>/metrics</c>.
/// </summary>
public sealed class PrometheusFixture : IAsyncLifetime
{
    public const string Binary = "/usr/bin/prometheus";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "idp-prom-" + Guid.NewGuid().ToString("N")[..8]);
    private Process? _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public TestMetricsEndpoint Metrics { get; } = new();

    public int Port { get; private set; }

    public string Url => $"http://127.0.0.1:{Port}";

    private string TargetsFile => Path.Combine(_dir, "targets.json");

    private readonly List<string> _targets = [];

    public async Task InitializeAsync()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"Prometheus is not installed at {Binary}: scripts/test.sh installs the Debian package 'prometheus'.");
        }

        await Metrics.StartAsync();
        Directory.CreateDirectory(_dir);
        Port = FreePorts.Next();
        await File.WriteAllTextAsync(Path.Combine(_dir, "rules.yml"), """
            groups:
              - name: idp-test
                interval: 1s
                rules:
                  - alert: HighErrorRate
                    expr: sum by (app, namespace, version) (rate(http_requests_total{code=~"5.."}[5s])) / sum by (app, namespace, version) (rate(http_requests_total[5s])) > 0.2
                    labels: { severity: critical }
                    annotations: { summary: "more than 20% of requests fail" }
            """);
        await File.WriteAllTextAsync(Path.Combine(_dir, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [ "{Path.Combine(_dir, "rules.yml")}" ]
            scrape_configs:
              - job_name: app
                scrape_interval: 1s
                static_configs:
                  - targets: [ "127.0.0.1:{Metrics.Port.ToString(CultureInfo.InvariantCulture)}" ]
              - job_name: added
                scrape_interval: 1s
                file_sd_configs:
                  - files: [ "{TargetsFile}" ]
                    refresh_interval: 1s
            """);
        await File.WriteAllTextAsync(TargetsFile, "[]");
        var psi = new ProcessStartInfo(Binary)
        {
            ArgumentList =
            {
                $"--config.file={Path.Combine(_dir, "prometheus.yml")}",
                $"--storage.tsdb.path={Path.Combine(_dir, "data")}",
                $"--web.listen-address=127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}",
                "--log.level=warn",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start Prometheus");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Eventually.TrueAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Prometheus exited with {_process.ExitCode}");
            }

            using var r = await _http.GetAsync($"{Url}/-/ready");
            return r.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(30), "Prometheus to be ready");
    }

    /// <summary>Scrapes <c>http://127.0.0.1:{port}/metrics</c> every second from now on (series get <c>instance="127.0.0.1:{port}"</c>).</summary>
    public async Task ScrapeAsync(int port)
    {
        _targets.Add($"\"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}\"");
        // Written aside and moved into place, so Prometheus never reads half a file.
        var next = TargetsFile + ".next";
        await File.WriteAllTextAsync(next, $"[ {{ \"targets\": [ {string.Join(", ", _targets)} ] }} ]");
        File.Move(next, TargetsFile, overwrite: true);
    }

    /// <summary>How Prometheus's last scrape of the target on <paramref name="port"/> went: its health and error, or null before the first.</summary>
    public async Task<(string Health, string LastError)?> TargetAsync(int port)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(await _http.GetStringAsync($"{Url}/api/v1/targets?state=active"));
        foreach (var t in doc.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray())
        {
            if (t.GetProperty("labels").GetProperty("instance").GetString() == $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"
                && t.GetProperty("health").GetString() is { } health and not "unknown")
            {
                return (health, t.GetProperty("lastError").GetString() ?? string.Empty);
            }
        }

        return null;
    }

    /// <summary>The type Prometheus recorded for <paramref name="metric"/> from the scrapes (counter, histogram, gauge), or null.</summary>
    public async Task<string?> MetadataTypeAsync(string metric)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(await _http.GetStringAsync($"{Url}/api/v1/metadata?metric={Uri.EscapeDataString(metric)}"));
        return doc.RootElement.GetProperty("data").TryGetProperty(metric, out var entries) && entries.GetArrayLength() > 0
            ? entries[0].GetProperty("type").GetString()
            : null;
    }

    /// <summary>The instant value of <paramref name="promQl"/> straight from Prometheus, or null.</summary>
    public async Task<double?> QueryAsync(string promQl)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(await _http.GetStringAsync($"{Url}/api/v1/query?query={Uri.EscapeDataString(promQl)}"));
        var result = doc.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? null : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        await Metrics.DisposeAsync();
        _http.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open: the temp folder is cleaned by the OS.
        }
    }
}
