using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Functions;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Durable;

/// <summary>
/// The engine as the app runs it standalone (DurableTask.AzureStorage on a fresh task hub in the shared Azurite, behind
/// its gRPC API, a Durable Task worker and client), in a plain generic host inside the test process, with the
/// orchestrators and activities a test registers (so test code never ships in the product).
/// </summary>
public sealed class DurableTestHost : IAsyncDisposable
{
    private readonly IHost _host;

    private DurableTestHost(IHost host, string taskHub)
    {
        _host = host;
        TaskHub = taskHub;
        Client = host.Services.GetRequiredService<DurableTaskClient>();
        Instances = host.Services.GetRequiredService<OrchestrationInstances>();
        Storage = host.Services.GetRequiredService<StorageClient>();
    }

    public string TaskHub { get; }

    public DurableTaskClient Client { get; }

    /// <summary>The app's checked operations, labels and history over <see cref="Client"/>.</summary>
    public OrchestrationInstances Instances { get; }

    public StorageClient Storage { get; }

    public IServiceProvider Services => _host.Services;

    public static async Task<DurableTestHost> StartAsync(AzuriteFixture azurite, Action<DurableTasksBuilder> register, IDictionary<string, string?>? settings = null)
    {
        var taskHub = "t" + Guid.NewGuid().ToString("N")[..10];
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(TestSettings(azurite, taskHub));
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("IDP_TEST_LOGS") == "1")
        {
            builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug);
        }

        var services = builder.Services;
        services.AddAzureStorage(builder.Configuration);
        services.AddSingleton<FunctionRegistry>();
        register(services.AddDurableTask(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync();
        return new DurableTestHost(host, taskHub);
    }

    /// <summary>Engine settings for tests: one partition, a short idle poll and lease check so a fresh hub is ready in about a second.</summary>
    public static Dictionary<string, string?> TestSettings(AzuriteFixture azurite, string taskHub) => new()
    {
        ["AzureWebJobsStorage"] = azurite.ConnectionString,
        ["Durable:TaskHub"] = taskHub,
        ["Durable:PartitionCount"] = "1",
        ["Durable:MaxQueuePollingInterval"] = "00:00:00.500",
        ["Durable:LeaseAcquireInterval"] = "00:00:01",
    };

    /// <summary>Waits for the instance to finish (generous: the machine is shared).</summary>
    public async Task<OrchestrationMetadata> WaitAsync(string instanceId, int seconds = 60)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            var last = await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true);
            throw new TimeoutException($"{instanceId} did not finish within {seconds} s (last {last?.RuntimeStatus}, status {last?.SerializedCustomStatus})");
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _host.StopAsync(stop.Token);
        _host.Dispose();
    }
}
