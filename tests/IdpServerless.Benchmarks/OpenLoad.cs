using System.Diagnostics;
using System.Net.Http.Headers;

namespace IdpServerless.Benchmarks;

/// <summary>
/// An open-loop load generator: requests start on a fixed schedule (<c>rate</c> per second) whatever the answers do,
/// over a pool of <c>connections</c> kept open, and each latency is measured from the request's scheduled start, so
/// queueing behind slow answers counts (no coordinated omission). wrk, by contrast, measures a closed loop: each
/// connection waits for its answer before sending again, which finds the maximum throughput.
/// </summary>
public static class OpenLoad
{
    public sealed record Result(double AchievedPerSecond, double P50, double P95, double P99, int Errors, int Requests);

    public static async Task<Result> RunAsync(Uri baseAddress, string? bearerToken, IReadOnlyList<string> urls, int connections, int rate, int seconds)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (bearerToken is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }

        // Open every connection first, so the measured phase holds them all.
        await Task.WhenAll(Enumerable.Range(0, connections).Select(i => SendAsync(http, urls[i % urls.Count])));

        var total = rate * seconds;
        var latencies = new double[total];
        var errors = 0;
        var random = new Random(11);
        var tasks = new List<Task>(total);
        var start = Stopwatch.GetTimestamp();
        var next = 0;
        while (next < total)
        {
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var due = Math.Min(total, (int)(elapsed * rate) + 1);
            for (; next < due; next++)
            {
                var i = next;
                var scheduled = start + (long)(i * (double)Stopwatch.Frequency / rate);
                var url = urls[random.Next(urls.Count)];
                tasks.Add(Task.Run(async () =>
                {
                    if (!await SendAsync(http, url))
                    {
                        Interlocked.Increment(ref errors);
                    }

                    latencies[i] = Stopwatch.GetElapsedTime(scheduled).TotalMilliseconds;
                }));
            }

            await Task.Delay(1);
        }

        await Task.WhenAll(tasks);
        var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Array.Sort(latencies);
        double P(double p) => latencies[Math.Min(total - 1, (int)Math.Ceiling(p * total) - 1)];
        return new Result(total / wall, P(0.50), P(0.95), P(0.99), errors, total);
    }

    private static async Task<bool> SendAsync(HttpClient http, string url)
    {
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseContentRead);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
