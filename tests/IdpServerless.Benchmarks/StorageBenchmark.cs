using System.Globalization;
using IdpServerless.Storage;

namespace IdpServerless.Benchmarks;

/// <summary>
/// <c>storage [--seconds N] [--concurrency N]</c>: throughput and latency of the storage client against a private
/// Azurite: point reads, 100-entity batch inserts, and queue send+receive+delete round trips.
/// </summary>
public static class StorageBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 10);
        var concurrency = Option(args, "--concurrency", 32);
        var batchWorkers = Option(args, "--batch-concurrency", 8);
        var duration = TimeSpan.FromSeconds(seconds);

        await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        var client = new StorageClient(azurite.Account, http);
        var results = new List<(LatencyRecorder.Result Result, double ClientCpu, double ServerCpu)>();
        var self = System.Diagnostics.Process.GetCurrentProcess();
        async Task Measure(Func<Task<LatencyRecorder.Result>> run)
        {
            self.Refresh();
            var (client0, server0) = (self.TotalProcessorTime, azurite.CpuTime);
            var result = await run();
            self.Refresh();
            results.Add((result, (self.TotalProcessorTime - client0).TotalSeconds / result.Elapsed.TotalSeconds, (azurite.CpuTime - server0).TotalSeconds / result.Elapsed.TotalSeconds));
        }


        // Point reads over 1,000 seeded entities.
        var reads = client.GetTable("benchreads");
        await reads.CreateIfNotExistsAsync();
        for (var p = 0; p < 10; p++)
        {
            await reads.SubmitBatchAsync(Enumerable.Range(0, 100).Select(r =>
                new TableBatchOperation(TableBatchAction.UpsertReplace, Entity("p" + p, r))));
        }

        async Task<int> PointRead(int w, long i)
        {
            var n = (int)((w * 7919 + i) % 1000);
            var e = await reads.GetEntityAsync("p" + (n / 100), (n % 100).ToString("D6", CultureInfo.InvariantCulture));
            return e is null ? throw new InvalidOperationException("seeded entity missing") : 1;
        }

        await LatencyRecorder.RunAsync("warmup", concurrency, TimeSpan.FromSeconds(1), PointRead);
        await Measure(() => LatencyRecorder.RunAsync($"point reads (concurrency {concurrency})", concurrency, duration, PointRead));

        // Batched inserts: each worker fills its own partitions, 100 new entities per batch.
        var inserts = client.GetTable("benchinserts");
        await inserts.CreateIfNotExistsAsync();
        await Measure(() => LatencyRecorder.RunAsync($"batched inserts, 100/batch (concurrency {batchWorkers})", batchWorkers, duration, async (w, i) =>
        {
            var partition = $"w{w}-{i}";
            await inserts.SubmitBatchAsync(Enumerable.Range(0, 100).Select(r => new TableBatchOperation(TableBatchAction.Add, Entity(partition, r))));
            return 100;
        }));

        // Queue round trips: send, receive one, delete it.
        var queue = client.GetQueue("benchqueue");
        await queue.CreateIfNotExistsAsync();
        await Measure(() => LatencyRecorder.RunAsync($"queue put+get+delete (concurrency {concurrency})", concurrency, duration, async (w, i) =>
        {
            await queue.SendAsync("{\"activity\":\"bench\",\"worker\":" + w + ",\"i\":" + i + "}");
            while (true)
            {
                var got = await queue.ReceiveAsync(1, TimeSpan.FromSeconds(30));
                if (got.Count == 1)
                {
                    await queue.DeleteMessageAsync(got[0].MessageId, got[0].PopReceipt);
                    return 1;
                }
            }
        }));

        Console.WriteLine("| benchmark | ops/s (units/s) | ops | p50 ms | p95 ms | p99 ms | client CPU | Azurite CPU |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (r, clientCpu, serverCpu) in results)
        {
            var rate = r.Units == r.Operations
                ? $"{r.UnitsPerSecond:F0}"
                : $"{r.Operations / r.Elapsed.TotalSeconds:F1} batches/s ({r.UnitsPerSecond:F0} entities/s)";
            Console.WriteLine($"| {r.Name} | {rate} | {r.Operations} | {r.P50Ms:F2} | {r.P95Ms:F2} | {r.P99Ms:F2} | {clientCpu:P0} | {serverCpu:P0} |");
        }

        return 0;
    }

    private static TableEntity Entity(string partition, int row) => new(partition, row.ToString("D6", CultureInfo.InvariantCulture))
    {
        ["Name"] = "component-" + row,
        ["Owner"] = "team-" + (row % 17),
        ["Size"] = 1_000_000_000L + row,
        ["Updated"] = DateTimeOffset.UnixEpoch.AddDays(row),
        ["Active"] = row % 2 == 0,
    };

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
