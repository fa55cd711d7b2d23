using System.Diagnostics;

namespace IdpServerless.Benchmarks;

/// <summary>Runs an operation from N concurrent workers for a fixed time and reports throughput and percentiles.</summary>
public static class LatencyRecorder
{
    public sealed record Result(string Name, long Operations, long Units, TimeSpan Elapsed, double P50Ms, double P95Ms, double P99Ms)
    {
        public double UnitsPerSecond => Units / Elapsed.TotalSeconds;
    }

    /// <param name="operation">One operation for worker <c>w</c>, iteration <c>i</c>; returns the units it did (e.g. entities).</param>
    public static async Task<Result> RunAsync(string name, int concurrency, TimeSpan duration, Func<int, long, Task<int>> operation)
    {
        var samples = new List<double>[concurrency];
        long units = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            var mine = samples[w] = new List<double>(4096);
            for (long i = 0; Stopwatch.GetTimestamp() < stopAt; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var done = await operation(w, i).ConfigureAwait(false);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Add(ref units, done);
            }
        }));
        watch.Stop();

        var all = samples.SelectMany(s => s).Order().ToArray();
        double Percentile(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)];
        return new Result(name, all.Length, units, watch.Elapsed, Percentile(0.50), Percentile(0.95), Percentile(0.99));
    }
}
