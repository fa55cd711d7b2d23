using System.Globalization;
using System.Text;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace IdpServerless.Tests.Deployments;

/// <summary>
/// A small in-process Kestrel serving Prometheus counters and histograms per version, as an instrumented app would
/// (<c>http_requests_total{app,namespace,version,code}</c>, <c>http_request_duration_seconds</c>). Counters grow with
/// time at the rates the test sets, so the test controls error rate and latency of each version.
/// </summary>
public sealed class TestMetricsEndpoint : IAsyncDisposable
{
    private static readonly double[] Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
    private readonly Lock _gate = new();
    private readonly Dictionary<(string App, string Ns, string Version, string? Track), Series> _series = [];
    private WebApplication? _app;

    public int Port { get; private set; }

    public async Task StartAsync()
    {
        Port = FreePorts.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        _app = builder.Build();
        _app.MapGet("/metrics", () => Results.Text(Render(), "text/plain; version=0.0.4"));
        await _app.StartAsync();
    }

    /// <summary>From now on, the version serves <paramref name="rps"/> requests per second, a share <paramref name="errorRate"/> failing, all at <paramref name="latencySeconds"/>.</summary>
    /// <remarks>With <paramref name="track"/> the series carry a <c>track</c> label, as pods of a canary's tracks do.</remarks>
    public void Set(string app, string ns, string version, double rps, double errorRate, double latencySeconds, string? track = null)
    {
        lock (_gate)
        {
            var s = _series.TryGetValue((app, ns, version, track), out var existing) ? existing : _series[(app, ns, version, track)] = new Series { Since = DateTime.UtcNow };
            Advance(s);
            (s.Rps, s.ErrorRate, s.Latency) = (rps, errorRate, latencySeconds);
        }
    }

    /// <summary>
    /// New series for several (version, track) pairs that start at the same instant with the same figures, so their
    /// counters stay equal at every scrape: versions that behave exactly alike.
    /// </summary>
    public void SetAlike(string app, string ns, double rps, double errorRate, double latencySeconds, params (string Version, string Track)[] series)
    {
        lock (_gate)
        {
            var since = DateTime.UtcNow;
            foreach (var (version, track) in series)
            {
                _series[(app, ns, version, track)] = new Series { Since = since, Rps = rps, ErrorRate = errorRate, Latency = latencySeconds };
            }
        }
    }

    public string Render()
    {
        var b = new StringBuilder();
        lock (_gate)
        {
            b.Append("# TYPE http_requests_total counter\n");
            var now = DateTime.UtcNow;
            foreach (var ((app, ns, v, track), s) in _series)
            {
                Advance(s, now);
                var labels = Labels(app, ns, v, track);
                b.Append(CultureInfo.InvariantCulture, $"http_requests_total{{{labels},code=\"200\"}} {Math.Floor(s.Ok)}\n");
                b.Append(CultureInfo.InvariantCulture, $"http_requests_total{{{labels},code=\"500\"}} {Math.Floor(s.Errors)}\n");
            }

            // The same traffic as Istio's sidecars report it, for Argo Rollouts' documentation examples (destination_service per version).
            b.Append("# TYPE istio_requests_total counter\n");
            // Istio has no track label: a version's tracks (stable and baseline) add up to one series.
            foreach (var version in _series.GroupBy(e => (e.Key.App, e.Key.Ns, e.Key.Version)))
            {
                var (app, ns, v) = version.Key;
                var labels = $"reporter=\"source\",destination_service=\"{app}-{v}.{ns}.svc.cluster.local\"";
                b.Append(CultureInfo.InvariantCulture, $"istio_requests_total{{{labels},response_code=\"200\"}} {Math.Floor(version.Sum(e => e.Value.Ok))}\n");
                b.Append(CultureInfo.InvariantCulture, $"istio_requests_total{{{labels},response_code=\"503\"}} {Math.Floor(version.Sum(e => e.Value.Errors))}\n");
            }

            b.Append("# TYPE http_request_duration_seconds histogram\n");
            foreach (var ((app, ns, v, track), s) in _series)
            {
                var labels = Labels(app, ns, v, track);
                foreach (var le in Buckets)
                {
                    b.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {Math.Floor(s.BucketCounts[le])}\n");
                }

                var count = Math.Floor(s.Ok + s.Errors);
                b.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}\n");
                b.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_sum{{{labels}}} {s.Sum}\n");
                b.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_count{{{labels}}} {count}\n");
            }
        }

        return b.ToString();
    }

    private static string Labels(string app, string ns, string version, string? track) =>
        $"app=\"{app}\",namespace=\"{ns}\",version=\"{version}\"" + (track is null ? string.Empty : $",track=\"{track}\"");

    private static void Advance(Series s) => Advance(s, DateTime.UtcNow);

    // One instant for every series of a scrape, so series started alike stay equal.
    private static void Advance(Series s, DateTime now)
    {
        var n = s.Rps * (now - s.Since).TotalSeconds;
        s.Since = now;
        s.Errors += n * s.ErrorRate;
        s.Ok += n * (1 - s.ErrorRate);
        s.Sum += n * s.Latency;
        foreach (var le in Buckets.Where(le => s.Latency <= le))
        {
            s.BucketCounts[le] += n;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed class Series
    {
        public DateTime Since { get; set; }

        public double Rps { get; set; }

        public double ErrorRate { get; set; }

        public double Latency { get; set; }

        public double Ok { get; set; }

        public double Errors { get; set; }

        public double Sum { get; set; }

        public Dictionary<double, double> BucketCounts { get; } = Buckets.ToDictionary(b => b, _ => 0d);
    }
}
