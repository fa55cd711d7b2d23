using IdpServerless.Durable;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Functions;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Durable;

/// <summary>
/// The engine in a plain generic host inside the test process, on its own task hub in the shared Azurite, with the
/// orchestrators and activities a test registers (so test code never ships in the product). Dispatch is the real one:
/// the hosting layer's queue dispatcher for work items and the engine's control-queue listener.
/// </summary>
public sealed class DurableTestHost : IAsyncDisposable
{
    private readonly IHost _host;

    private DurableTestHost(IHost host, string taskHub)
    {
        _host = host;
        TaskHub = taskHub;
        Client = host.Services.GetRequiredService<IOrchestrationClient>();
        Storage = host.Services.GetRequiredService<StorageClient>();
    }

    public string TaskHub { get; }

    public IOrchestrationClient Client { get; }

    public StorageClient Storage { get; }

    public IServiceProvider Services => _host.Services;

    public static async Task<DurableTestHost> StartAsync(AzuriteFixture azurite, Action<IDurableBuilder> register, IDictionary<string, string?>? settings = null)
    {
        var taskHub = "t" + Guid.NewGuid().ToString("N")[..10];
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Durable:TaskHub"] = taskHub,
            ["Durable:PartitionLeaseDuration"] = "00:00:15",
            ["Durable:MaxPollingInterval"] = "00:00:00.200",
            ["Dispatch:MinPollingInterval"] = "00:00:00.020",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.ClearProviders();
        var services = builder.Services;
        services.AddAzureStorage(builder.Configuration);
        services.AddSingleton<FunctionRegistry>();
        services.AddSingleton<FunctionInvoker>();
        services.AddSingleton<QueueWakeup>();
        services.AddOptions<DispatchOptions>().BindConfiguration(DispatchOptions.Section);
        services.AddHostedService<QueueDispatcher>();
        register(services.AddDurableEngine(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync();
        return new DurableTestHost(host, taskHub);
    }

    /// <summary>Waits for the instance to finish (generous: the machine is shared).</summary>
    public Task<OrchestrationMetadata> WaitAsync(string instanceId, int seconds = 60) =>
        Client.WaitForCompletionAsync(instanceId, TimeSpan.FromSeconds(seconds));

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _host.StopAsync(stop.Token);
        _host.Dispose();
    }
}
