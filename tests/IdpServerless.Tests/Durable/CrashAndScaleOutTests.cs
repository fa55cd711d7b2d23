using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Durable;

/// <summary>Crash safety and scale-out of the engine (Durable Task on DurableTask.AzureStorage) with real app processes on one Azurite, driving SelfTest.</summary>
[Collection(AzuriteRecoveryCollection.Name)]
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
    public async Task Three_app_processes_share_the_task_hub_and_run_300_orchestrations_each_step_once()
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

            // Every instance advanced exactly once per step: one completion, two activity results, never a duplicate
            // (two workers advancing one instance at once would write its events twice).
            foreach (var id in ids)
            {
                var history = await apps[0].Http.GetFromJsonAsync<JsonElement>($"/api/orchestrations/instances/{id}/history");
                var types = history.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
                Assert.Equal(1, types.Count(t => t == "ExecutionCompleted"));
                Assert.Equal(2, types.Count(t => t == "TaskCompleted"));
                Assert.Equal(2, types.Count(t => t == "TaskScheduled"));
            }

            var effects = (await RowsAsync(storage.GetTable(hub + "SelfTest"), null)).Where(r => r.RowKey.StartsWith("effect|", StringComparison.Ordinal)).ToList();
            Assert.Equal(600, effects.Count);
            // The partitions were spread: activities ran in more than one of the processes.
            Assert.True(effects.Select(r => r.GetInt32("ProcessId")).Distinct().Count() >= 2, "all work ran in one process");
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.DisposeAsync();
            }
        }
    }

    private static async Task<int> CountCompletedAsync(StorageClient storage, string hub, IReadOnlyCollection<string> ids)
    {
        var count = 0;
        try
        {
            // The task hub's instance table (DurableTask.AzureStorage's layout): one row per instance, keyed by its id.
            await foreach (var row in storage.GetTable(hub + "Instances").QueryAsync(TableFilter.Eq("RuntimeStatus", "Completed"), select: ["PartitionKey"]))
            {
                count += ids.Contains(row.PartitionKey) ? 1 : 0;
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
