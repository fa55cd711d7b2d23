using System.Text.Json;
using IdpServerless.Functions.Diagnostics;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Hosting;

/// <summary>The standalone dispatcher against real Azurite and the real app process.</summary>
[Collection("azurite")]
public class QueueDispatchTests(AzuriteFixture azurite)
{
    private static readonly Dictionary<string, string> FastRetries = new()
    {
        ["Dispatch__RetryDelay"] = "00:00:00.050",
        ["Dispatch__MaxRetryDelay"] = "00:00:00.200",
        ["Dispatch__VisibilityTimeout"] = "00:00:03",
    };

    [Fact]
    public async Task A_message_is_handled_once_and_deleted()
    {
        var storage = azurite.CreateClient();
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, FastRetries);
        var probe = "ok-" + Guid.NewGuid().ToString("N");
        await SendProbeAsync(storage, new { probeId = probe });

        var done = await WaitForRowAsync(storage, probe, "done", app);
        Assert.Equal(1L, done.GetInt64("DequeueCount"));
        var attempts = await AttemptsAsync(storage, probe);
        Assert.Single(attempts);
    }

    [Fact]
    public async Task A_message_that_fails_twice_succeeds_on_the_third_attempt()
    {
        var storage = azurite.CreateClient();
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, FastRetries);
        var probe = "retry-" + Guid.NewGuid().ToString("N");
        await SendProbeAsync(storage, new { probeId = probe, failAttempts = 2 });

        var done = await WaitForRowAsync(storage, probe, "done", app);
        Assert.Equal(3L, done.GetInt64("DequeueCount"));
        Assert.Equal(3, (await AttemptsAsync(storage, probe)).Count);
    }

    [Fact]
    public async Task A_message_that_always_fails_lands_in_the_poison_queue_after_five_attempts_with_its_reason()
    {
        var storage = azurite.CreateClient();
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, FastRetries);
        var probe = "poison-" + Guid.NewGuid().ToString("N");
        await SendProbeAsync(storage, new { probeId = probe, failAttempts = 100 });

        var poison = storage.GetQueue(DiagnosticsProbe.QueueName + "-poison");
        var record = await Eventually.ValueAsync(async () =>
        {
            await poison.CreateIfNotExistsAsync();
            var peeked = await poison.PeekAsync(32);
            return peeked.Select(m => PoisonRecord.TryParse(m.Body)).FirstOrDefault(r => r?.Body.Contains(probe, StringComparison.Ordinal) == true);
        }, TimeSpan.FromSeconds(60), "the poison record");

        Assert.Equal(5, record.DequeueCount);
        Assert.Equal(DiagnosticsProbe.FunctionName, record.Function);
        Assert.Contains("asked to fail attempt 5", record.Reason, StringComparison.Ordinal);
        Assert.Equal(5, (await AttemptsAsync(storage, probe)).Count);
        Assert.Null(await storage.GetTable(DiagnosticsProbe.TableName).GetEntityAsync(TableKeys.Escape(probe), "done"));
        // The original message is gone from the work queue: nothing more is attempted.
        var queue = storage.GetQueue(DiagnosticsProbe.QueueName);
        Assert.DoesNotContain((await queue.PeekAsync(32)), m => m.Body.Contains(probe, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_that_can_never_succeed_is_poisoned_at_once()
    {
        var storage = azurite.CreateClient();
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, FastRetries);
        var marker = Guid.NewGuid().ToString("N");
        await storage.GetQueue(DiagnosticsProbe.QueueName).SendAsync("not json " + marker);

        var poison = storage.GetQueue(DiagnosticsProbe.QueueName + "-poison");
        var record = await Eventually.ValueAsync(async () =>
        {
            await poison.CreateIfNotExistsAsync();
            return (await poison.PeekAsync(32)).Select(m => PoisonRecord.TryParse(m.Body)).FirstOrDefault(r => r?.Body.Contains(marker, StringComparison.Ordinal) == true);
        }, TimeSpan.FromSeconds(30), "the poison record");
        Assert.Equal(1, record.DequeueCount);
        Assert.Contains("not JSON", record.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_in_flight_when_the_app_is_killed_is_handled_after_restart()
    {
        var storage = azurite.CreateClient();
        var settings = new Dictionary<string, string>(FastRetries) { ["Dispatch__VisibilityTimeout"] = "00:00:02" };
        var probe = "crash-" + Guid.NewGuid().ToString("N");
        var first = await FunctionAppProcess.StartAsync(azurite.ConnectionString, settings);
        await using (first)
        {
            await SendProbeAsync(storage, new { probeId = probe, holdFirstAttemptMs = 120_000 });
            await WaitForRowAsync(storage, probe, "attempt-001", first);
            await first.KillAsync();
        }

        await using var second = await FunctionAppProcess.StartAsync(azurite.ConnectionString, settings);
        var done = await WaitForRowAsync(storage, probe, "done", second);
        Assert.Equal(2L, done.GetInt64("DequeueCount"));
        Assert.Equal(second.ProcessId, done.GetInt32("ProcessId"));
    }

    private static async Task SendProbeAsync(StorageClient storage, object probe)
    {
        var q = storage.GetQueue(DiagnosticsProbe.QueueName);
        await q.CreateIfNotExistsAsync();
        await q.SendAsync(JsonSerializer.Serialize(probe));
    }

    private static Task<TableEntity> WaitForRowAsync(StorageClient storage, string probe, string row, FunctionAppProcess app) =>
        Eventually.ValueAsync(async () =>
        {
            try
            {
                return await storage.GetTable(DiagnosticsProbe.TableName).GetEntityAsync(TableKeys.Escape(probe), row);
            }
            catch (StorageNotFoundException)
            {
                return null;
            }
        }, TimeSpan.FromSeconds(60), $"row {row} of probe {probe}\n{app.Output}");

    private static async Task<List<TableEntity>> AttemptsAsync(StorageClient storage, string probe)
    {
        var rows = new List<TableEntity>();
        await foreach (var e in storage.GetTable(DiagnosticsProbe.TableName).QueryAsync(TableFilter.Eq("PartitionKey", TableKeys.Escape(probe))))
        {
            if (e.RowKey.StartsWith("attempt-", StringComparison.Ordinal))
            {
                rows.Add(e);
            }
        }

        return rows;
    }
}
