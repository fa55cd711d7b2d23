using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Durable;

/// <summary>Crash safety and scale-out of the engine with real app processes on one Azurite, driving SelfTest.</summary>
[Collection("azurite")]
public class CrashAndScaleOutTests(AzuriteFixture azurite)
{
    private const long SumOfSquaresTo6 = 1 + 4 + 9 + 16 + 25 + 36;

    [Fact]
    public async Task Fifty_orchestrations_survive_a_SIGKILL_of_the_app_and_each_idempotent_effect_happens_exactly_once()
    {
        var hub = "crash" + Guid.NewGuid().ToString("N")[..8];
        var storage = azurite.CreateClient();
        var effects = storage.GetTable(hub + "SelfTest");
        var ids = Enumerable.Range(0, 50).Select(i => $"crash-{i:D2}").ToList();

        var first = await FunctionAppProcess.StartAsync(azurite.ConnectionString, AppSettings.ForHub(hub));
        try
        {
            foreach (var id in ids)
            {
                using var r = await first.Http.PostAsync($"/api/orchestrations/SelfTest?instanceId={id}",
                    JsonContent.Create(new { activities = 6, activityDelayMs = 700 }));
                Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
            }

            // Kill it in the middle: activities are running and done, and no instance has finished.
            await Eventually.TrueAsync(async () => (await CountAsync(effects, "effect|")) >= 40, TimeSpan.FromSeconds(90), "40 activity effects");
            Assert.True(await CountCompletedAsync(storage, hub, ids) < ids.Count, "the crash must hit running orchestrations");
            await first.KillAsync();
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var second = await FunctionAppProcess.StartAsync(azurite.ConnectionString, AppSettings.ForHub(hub));
        await Eventually.TrueAsync(async () => await CountCompletedAsync(storage, hub, ids) == ids.Count, TimeSpan.FromSeconds(300), "all 50 to complete after the restart");

        foreach (var id in ids)
        {
            var status = await second.Http.GetFromJsonAsync<JsonElement>($"/api/orchestrations/instances/{id}");
            Assert.Equal("Completed", status.GetProperty("runtimeStatus").GetString());
            Assert.Equal(SumOfSquaresTo6, status.GetProperty("output").GetProperty("sum").GetInt64());
            var rows = await RowsAsync(effects, id);
            Assert.Equal(6, rows.Count(r => r.RowKey.StartsWith("effect|", StringComparison.Ordinal)));
        }

        var totalEffects = await CountAsync(effects, "effect|");
        var totalRuns = await CountAsync(effects, "run|");
        Assert.Equal(50 * 6, totalEffects);
        // Activities cut short by the kill ran again (at least once), yet their effect was applied once.
        Assert.True(totalRuns > totalEffects, $"expected re-executions after the crash: {totalRuns} runs for {totalEffects} effects");
    }

    [Fact]
    public async Task Three_app_processes_run_300_orchestrations_and_no_instance_is_ever_advanced_by_two_at_once()
    {
        var hub = "scale" + Guid.NewGuid().ToString("N")[..8];
        var storage = azurite.CreateClient();
        var apps = new List<FunctionAppProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                apps.Add(await FunctionAppProcess.StartAsync(azurite.ConnectionString, AppSettings.ForHub(hub)));
            }

            // Wait until the control partitions are spread over the three workers.
            var workers = storage.GetTable(hub + "Workers");
            await Eventually.TrueAsync(async () =>
            {
                var rows = new List<TableEntity>();
                await foreach (var w in workers.QueryAsync())
                {
                    rows.Add(w);
                }

                var live = rows.Where(w => w.GetDateTimeOffset("LastSeen") > DateTimeOffset.UtcNow.AddSeconds(-15)).ToList();
                return live.Count == 3 && live.All(w => !string.IsNullOrEmpty(w.GetString("Partitions")));
            }, TimeSpan.FromSeconds(60), "each of the three workers to own a control partition");

            var ids = Enumerable.Range(0, 300).Select(i => $"scale-{i:D3}").ToList();
            // A patient client: on a shared 2-core machine a start can wait long for CPU; that is not what this test measures.
            using var patient = new HttpClient { Timeout = TimeSpan.FromMinutes(3) };
            await Parallel.ForEachAsync(ids.Select((id, i) => (id, i)), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (x, ct) =>
            {
                var app = apps[x.i % 3];
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(app.BaseAddress, $"/api/orchestrations/SelfTest?instanceId={x.id}"))
                {
                    Content = JsonContent.Create(new { activities = 2 }),
                };
                request.Headers.Authorization = app.Http.DefaultRequestHeaders.Authorization;
                using var r = await patient.SendAsync(request, ct);
                Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
            });

            await Eventually.TrueAsync(async () => await CountCompletedAsync(storage, hub, ids) == ids.Count, TimeSpan.FromSeconds(480), "all 300 to complete");

            var history = storage.GetTable(hub + "History");
            var episodeWorkers = new HashSet<string>();
            foreach (var id in ids)
            {
                var rows = new List<TableEntity>();
                await foreach (var row in history.QueryAsync(TableFilter.And(TableFilter.Eq("PartitionKey", id), TableFilter.Lt("RowKey", "state"))))
                {
                    rows.Add(row);
                }

                rows.Sort((a, b) => string.CompareOrdinal(a.RowKey, b.RowKey));
                Assert.Equal(Enumerable.Range(1, rows.Count).Select(i => (long)i), rows.Select(r => r.GetInt64("Episode")!.Value));
                for (var i = 1; i < rows.Count; i++)
                {
                    // Each episode began only after the previous one was being committed: never two writers at once.
                    Assert.True(rows[i].GetDateTimeOffset("StartedAt") >= rows[i - 1].GetDateTimeOffset("CommittingAt"),
                        $"{id}: episode {i + 1} by {rows[i].GetString("Worker")} overlaps episode {i} by {rows[i - 1].GetString("Worker")}");
                }

                var events = string.Concat(rows.Select(r => string.Concat(Enumerable.Range(0, r.GetInt32("EventParts") ?? 0).Select(p => r.GetString("Events" + p)))));
                Assert.Equal(1, CountOccurrences(events, "\"ExecutionCompleted\""));
                Assert.Equal(2, CountOccurrences(events, "\"TaskCompleted\""));
                foreach (var r in rows)
                {
                    episodeWorkers.Add(r.GetString("Worker")!);
                }
            }

            Assert.True(episodeWorkers.Count >= 2, $"episodes ran on {episodeWorkers.Count} worker(s)");
            var effectProcesses = (await RowsAsync(storage.GetTable(hub + "SelfTest"), null)).Where(r => r.RowKey.StartsWith("effect|", StringComparison.Ordinal))
                .Select(r => r.GetInt32("ProcessId")).Distinct().Count();
            Assert.Equal(3, effectProcesses);
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.DisposeAsync();
            }
        }
    }

    private static int CountOccurrences(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static async Task<int> CountCompletedAsync(StorageClient storage, string hub, IReadOnlyCollection<string> ids)
    {
        var count = 0;
        try
        {
            await foreach (var row in storage.GetTable(hub + "Instances").QueryAsync(TableFilter.Eq("RuntimeStatus", "Completed"), select: ["InstanceId"]))
            {
                count += ids.Contains(row.GetString("InstanceId")) ? 1 : 0;
            }
        }
        catch (StorageNotFoundException)
        {
            return 0;
        }

        return count;
    }

    private static async Task<int> CountAsync(TableClient table, string prefix)
    {
        try
        {
            var count = 0;
            await foreach (var _ in table.QueryAsync(TableFilter.RowKeyPrefix(prefix), select: ["RowKey"]))
            {
                count++;
            }

            return count;
        }
        catch (StorageNotFoundException)
        {
            return 0;
        }
    }

    private static async Task<List<TableEntity>> RowsAsync(TableClient table, string? partition)
    {
        var rows = new List<TableEntity>();
        await foreach (var r in table.QueryAsync(partition is null ? null : TableFilter.Eq("PartitionKey", partition)))
        {
            rows.Add(r);
        }

        return rows;
    }
}
