using DurableTask.AzureStorage;
using IdpServerless.Hosting.Durable;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using static IdpServerless.Tests.Durable.TestOrchestrations;

namespace IdpServerless.Tests.Durable;

/// <summary>
/// How the engine stops: the app reports stopped only once the provider has drained and released its partition leases,
/// work in flight is picked up again by the next instance, and a provider whose stop fails cannot take the process down.
/// </summary>
[Collection("azurite")]
public class ShutdownTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_stopped_app_has_released_its_partition_leases_when_its_stop_returns()
    {
        var settings = new Dictionary<string, string?> { ["Durable:PartitionCount"] = "2" };
        var host = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions(), settings);
        var partitions = host.Storage.GetTable(host.TaskHub + "Partitions");
        try
        {
            var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(Chain), new[] { "a", "b" });
            await host.WaitAsync(id);
            Assert.All(await RowsAsync(partitions), p => Assert.False(string.IsNullOrEmpty(p.GetString("CurrentOwner")), $"partition {p.RowKey} owned while running"));
        }
        finally
        {
            await host.DisposeAsync();
        }

        // Read at once: nothing is still releasing in the background.
        var rows = await RowsAsync(partitions);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, p => Assert.True(string.IsNullOrEmpty(p.GetString("CurrentOwner")), $"partition {p.RowKey} still owned by {p.GetString("CurrentOwner")}"));
    }

    [Fact]
    public async Task An_activity_running_while_the_app_stops_is_finished_by_the_next_instance()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Durable:WorkItemQueueVisibilityTimeout"] = "00:00:10",
            ["Durable:ControlQueueVisibilityTimeout"] = "00:00:10",
        };
        var first = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions(), settings);
        var hub = first.TaskHub;
        string id;
        try
        {
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SlowOnce), 3000);
            await Eventually.TrueAsync(() => Task.FromResult(Slow.Starts.ContainsKey(id)), TimeSpan.FromSeconds(60), "the activity to start");
        }
        finally
        {
            await first.DisposeAsync();
        }

        settings["Durable:TaskHub"] = hub;
        await using var second = await DurableTestHost.StartAsync(azurite, d => d.AddTestFunctions(), settings);
        var done = await second.WaitAsync(id, seconds: 90);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("slept 3000", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task A_provider_whose_stop_throws_is_reported_not_thrown()
    {
        // A provider that never started throws when told to stop (the same path as a partition manager that cannot
        // release its leases): the gRPC server would rethrow that on a thread of its own and end the process.
        var provider = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = "t" + Guid.NewGuid().ToString("N")[..10],
            StorageAccountClientProvider = new StorageAccountClientProvider(azurite.ConnectionString),
        });
        var observed = new StopObservedOrchestrationService(provider, NullLogger.Instance, "never-started");

        await observed.StopAsync(isForced: false);

        var failure = await observed.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(failure);
    }

    private static async Task<List<TableEntity>> RowsAsync(TableClient table)
    {
        var rows = new List<TableEntity>();
        await foreach (var r in table.QueryAsync(null))
        {
            rows.Add(r);
        }

        return rows;
    }
}
