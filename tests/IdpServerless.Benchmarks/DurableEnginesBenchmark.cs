using System.Diagnostics;
using System.Globalization;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Net.Client;
using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Functions;
using IdpServerless.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using DtClient = Microsoft.DurableTask.Client.DurableTaskClient;
using DtRuntimeStatus = Microsoft.DurableTask.Client.OrchestrationRuntimeStatus;

namespace IdpServerless.Benchmarks;

/// <summary>
/// <c>durable-engines [--engines app,dtas,dtshim] [--orchestrations 50] [--activities 10] [--runs 1] [DurableTask.AzureStorage knobs]</c>:
/// the same fan-out on one process, in the same run and on the same Azurite, through Durable Task on
/// DurableTask.AzureStorage (Durable Functions' provider): as the app wires it (<c>app</c>); bare, the new programming
/// model with <c>DurableTaskClient</c>, its worker talking gRPC to an in-process <c>TaskHubGrpcServer</c> on loopback
/// TCP, as an isolated worker talks to the Functions host (<c>dtas</c>); or, as <c>dtshim</c>, the same
/// orchestrator code run by DurableTask.Core's <c>TaskHubWorker</c> through the public <c>DurableTaskShimFactory</c>,
/// no gRPC, with DurableTask.Core's <c>TaskHubClient</c>). Each engine gets a fresh task hub;
/// the time until a burst of one-activity orchestrations over every partition completes (leases, queues, tables) is
/// printed apart, then
/// <c>--orchestrations</c> instances of <c>--activities</c> echo activities each start at once and the clock runs to
/// the last completion. Knobs for DurableTask.AzureStorage: <c>--partitions 4 --poll-ms 1000 --batch 32
/// --activity-concurrency 10x cores --orchestration-concurrency 100 --extended-sessions --legacy-partitions
/// --checkpoint-batch N --storage-concurrency N</c>.
/// </summary>
public static class DurableEnginesBenchmark
{
    private const string FanOut = "BenchFanOut";
    private const string Echo = "BenchEcho";

    public static async Task<int> RunAsync(string[] args)
    {
        var engines = (BenchmarkArgs.Option(args, "--engines") ?? "app,dtas").Split(',');
        var orchestrations = Int(args, "--orchestrations", 50);
        var activities = Int(args, "--activities", 10);
        var runs = Int(args, "--runs", 1);
        var knobs = DtasKnobs.From(args);

        await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(60));
        Console.WriteLine($"{orchestrations} orchestrations x {activities} activities (fan-out/fan-in), one process, {runs} run(s) per engine");
        Console.WriteLine($"DurableTask.AzureStorage: {knobs}");
        Console.WriteLine("| engine | run | ready after (s) | elapsed (s) | activities/s | process CPU | Azurite CPU |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        for (var run = 1; run <= runs; run++)
        {
            foreach (var engine in engines)
            {
                var hub = $"{engine}{run}x{Guid.NewGuid():N}"[..20];
                await using IBenchEngine host = engine switch
                {
                    "app" => await AppEngine.StartAsync(azurite.ConnectionString, hub, knobs),
                    "dtas" => await DurableTaskAzureStorage.StartAsync(azurite.ConnectionString, hub, knobs),
                    "dtshim" => await DurableTaskShim.StartAsync(azurite.ConnectionString, hub, knobs),
                    _ => throw new ArgumentException($"unknown engine '{engine}' (app, dtas, dtshim)"),
                };
                // Ready = a burst of one-activity orchestrations spread over the partitions all completed, so every
                // partition's lease is held before the clock starts (a fresh hub acquires them one by one).
                var ready = Stopwatch.StartNew();
                await host.RunAsync(8 * knobs.Partitions, 1);
                ready.Stop();

                var self = Process.GetCurrentProcess();
                var cpu0 = self.TotalProcessorTime;
                var azurite0 = azurite.CpuTime;
                var watch = Stopwatch.StartNew();
                await host.RunAsync(orchestrations, activities);
                watch.Stop();
                self.Refresh();
                var seconds = watch.Elapsed.TotalSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {engine} | {run} | {ready.Elapsed.TotalSeconds:F1} | {seconds:F2} | {orchestrations * activities / seconds:F1} | {(self.TotalProcessorTime - cpu0).TotalSeconds / seconds:P0} | {(azurite.CpuTime - azurite0).TotalSeconds / seconds:P0} |"));
            }
        }

        return 0;
    }

    private static int Int(string[] args, string name, int fallback) =>
        BenchmarkArgs.Option(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private interface IBenchEngine : IAsyncDisposable
    {
        /// <summary>Starts <paramref name="count"/> fan-outs of <paramref name="activities"/> and waits for all.</summary>
        Task RunAsync(int count, int activities);
    }

    /// <summary>The knobs of DurableTask.AzureStorage this benchmark turns (defaults: the library's own).</summary>
    public sealed record DtasKnobs(int Partitions, TimeSpan Poll, int? Batch, int? ActivityConcurrency, int? OrchestrationConcurrency,
        bool ExtendedSessions, bool LegacyPartitions, int? CheckpointBatch, int? StorageConcurrency)
    {
        public static DtasKnobs From(string[] args)
        {
            int? Opt(string name) => BenchmarkArgs.Option(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;
            return new DtasKnobs(Opt("--partitions") ?? 4, TimeSpan.FromMilliseconds(Opt("--poll-ms") ?? 1000), Opt("--batch"),
                Opt("--activity-concurrency"), Opt("--orchestration-concurrency"), args.Contains("--extended-sessions"),
                args.Contains("--legacy-partitions"), Opt("--checkpoint-batch"), Opt("--storage-concurrency"));
        }

        public void Apply(AzureStorageOrchestrationServiceSettings s)
        {
            s.PartitionCount = Partitions;
            s.MaxQueuePollingInterval = Poll;
            s.ExtendedSessionsEnabled = ExtendedSessions;
            if (LegacyPartitions)
            {
                s.UseTablePartitionManagement = false;
            }

            if (Batch is { } b)
            {
                s.ControlQueueBatchSize = b;
            }

            if (ActivityConcurrency is { } a)
            {
                s.MaxConcurrentTaskActivityWorkItems = a;
            }

            if (OrchestrationConcurrency is { } o)
            {
                s.MaxConcurrentTaskOrchestrationWorkItems = o;
            }

            if (CheckpointBatch is { } c)
            {
                s.MaxCheckpointBatchSize = c;
            }

            if (StorageConcurrency is { } sc)
            {
                s.MaxStorageOperationConcurrency = sc;
            }
        }

        public override string ToString() =>
            $"partitions {Partitions}, poll {Poll.TotalMilliseconds} ms, control batch {Batch?.ToString(CultureInfo.InvariantCulture) ?? "default"}, "
            + $"activity concurrency {ActivityConcurrency?.ToString(CultureInfo.InvariantCulture) ?? "default"}, orchestration concurrency {OrchestrationConcurrency?.ToString(CultureInfo.InvariantCulture) ?? "default"}, "
            + $"extended sessions {(ExtendedSessions ? "on" : "off")}, partition manager {(LegacyPartitions ? "legacy (blob leases)" : "library default")}, "
            + $"checkpoint batch {CheckpointBatch?.ToString(CultureInfo.InvariantCulture) ?? "default"}, storage concurrency {StorageConcurrency?.ToString(CultureInfo.InvariantCulture) ?? "default"}";
    }

    /// <summary>
    /// The app's engine exactly as it wires it (<c>AddDurableTask</c>: the task hub behind its gRPC API on a Unix socket,
    /// web-JSON payloads, the app's settings section), with the knobs given as its <c>Durable</c> settings.
    /// </summary>
    private sealed class AppEngine(IHost host) : IBenchEngine
    {
        private readonly DtClient _client = host.Services.GetRequiredService<DtClient>();

        public static async Task<AppEngine> StartAsync(string connectionString, string hub, DtasKnobs knobs)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = connectionString,
                ["Durable:TaskHub"] = hub,
                ["Durable:PartitionCount"] = knobs.Partitions.ToString(CultureInfo.InvariantCulture),
                ["Durable:MaxQueuePollingInterval"] = knobs.Poll.ToString(),
                ["Durable:ExtendedSessions"] = knobs.ExtendedSessions ? "true" : "false",
            });
            if (knobs.ActivityConcurrency is { } a)
            {
                builder.Configuration["Durable:MaxConcurrentActivities"] = a.ToString(CultureInfo.InvariantCulture);
            }

            if (knobs.OrchestrationConcurrency is { } o)
            {
                builder.Configuration["Durable:MaxConcurrentOrchestrations"] = o.ToString(CultureInfo.InvariantCulture);
            }

            builder.Logging.ClearProviders();
            var services = builder.Services;
            services.AddAzureStorage(builder.Configuration);
            services.AddSingleton<FunctionRegistry>();
            services.AddDurableTask(builder.Configuration).AddOrchestrator<NewFanOut>(FanOut).AddActivity<NewEcho>(Echo);
            var host = builder.Build();
            await host.StartAsync();
            return new AppEngine(host);
        }

        public async Task RunAsync(int count, int activities)
        {
            var ids = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => _client.ScheduleNewOrchestrationInstanceAsync(FanOut, activities)));
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            var done = await Task.WhenAll(ids.Select(id => _client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: false, deadline.Token)));
            if (done.FirstOrDefault(d => d.RuntimeStatus != DtRuntimeStatus.Completed) is { } bad)
            {
                throw new InvalidOperationException($"orchestration {bad.InstanceId} ended {bad.RuntimeStatus}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await host.StopAsync(stop.Token);
            host.Dispose();
        }
    }

    /// <summary>
    /// Durable Task on DurableTask.AzureStorage: the orchestration service, a <c>TaskHubGrpcServer</c> over it on a
    /// loopback HTTP/2 port, and the standard worker and client (function-based registrations) talking to it.
    /// </summary>
    private sealed class DurableTaskAzureStorage(AzureStorageOrchestrationService service, WebApplication sidecar, IHost worker, GrpcChannel channel) : IBenchEngine
    {
        private readonly DtClient _client = worker.Services.GetRequiredService<DtClient>();

        public static async Task<DurableTaskAzureStorage> StartAsync(string connectionString, string hub, DtasKnobs knobs)
        {
            var service = await CreateServiceAsync(connectionString, hub, knobs);
            var port = BenchmarkArgs.FreePort();
            var sidecarBuilder = WebApplication.CreateSlimBuilder();
            sidecarBuilder.Logging.ClearProviders();
            sidecarBuilder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            sidecarBuilder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2));
            sidecarBuilder.Services.AddGrpc();
            sidecarBuilder.Services.AddSingleton<IOrchestrationService>(service);
            sidecarBuilder.Services.AddSingleton<IOrchestrationServiceClient>(service);
            sidecarBuilder.Services.AddSingleton<TaskHubGrpcServer>();
            var sidecar = sidecarBuilder.Build();
            sidecar.MapGrpcService<TaskHubGrpcServer>();
            await sidecar.StartAsync();

            var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddDurableTaskWorker(b =>
            {
                b.UseGrpc(channel);
                if (knobs.ActivityConcurrency is { } a)
                {
                    b.Configure(o => o.Concurrency.MaximumConcurrentActivityWorkItems = a);
                }

                if (knobs.OrchestrationConcurrency is { } oc)
                {
                    b.Configure(o => o.Concurrency.MaximumConcurrentOrchestrationWorkItems = oc);
                }

                b.AddTasks(r =>
                {
                    r.AddOrchestratorFunc<int, long>(FanOut, async (ctx, n) =>
                        (await Task.WhenAll(Enumerable.Range(1, n).Select(i => ctx.CallActivityAsync<int>(Echo, i)))).Sum(x => (long)x));
                    r.AddActivityFunc<int, int>(Echo, (_, i) => i);
                });
            });
            builder.Services.AddDurableTaskClient(b =>
            {
                b.UseGrpc(channel);
                b.RegisterDirectly();
            });
            var worker = builder.Build();
            await worker.StartAsync();
            return new DurableTaskAzureStorage(service, sidecar, worker, channel);
        }

        public async Task RunAsync(int count, int activities)
        {
            var ids = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => _client.ScheduleNewOrchestrationInstanceAsync(FanOut, activities)));
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            var done = await Task.WhenAll(ids.Select(id => _client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: false, deadline.Token)));
            if (done.FirstOrDefault(d => d.RuntimeStatus != DtRuntimeStatus.Completed) is { } bad)
            {
                throw new InvalidOperationException($"orchestration {bad.InstanceId} ended {bad.RuntimeStatus}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await worker.StopAsync(stop.Token);
            worker.Dispose();
            await sidecar.StopAsync(stop.Token);
            await sidecar.DisposeAsync();
            channel.Dispose();
            await service.StopAsync(isForced: true);
        }
    }

    private static async Task<AzureStorageOrchestrationService> CreateServiceAsync(string connectionString, string hub, DtasKnobs knobs)
    {
        var settings = new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
            TaskHubName = hub,
        };
        knobs.Apply(settings);
        var service = new AzureStorageOrchestrationService(settings);
        await service.CreateIfNotExistsAsync();
        return service;
    }

    /// <summary>The new-model orchestrator and activity (same code as the function-based ones above).</summary>
    private sealed class NewFanOut : Microsoft.DurableTask.TaskOrchestrator<int, long>
    {
        public override async Task<long> RunAsync(Microsoft.DurableTask.TaskOrchestrationContext context, int input) =>
            (await Task.WhenAll(Enumerable.Range(1, input).Select(i => context.CallActivityAsync<int>(Echo, i)))).Sum(x => (long)x);
    }

    private sealed class NewEcho : Microsoft.DurableTask.TaskActivity<int, int>
    {
        public override Task<int> RunAsync(Microsoft.DurableTask.TaskActivityContext context, int input) => Task.FromResult(input);
    }

    /// <summary>Route A: DurableTask.Core's worker runs new-model code through the shim factory; the client is TaskHubClient.</summary>
    private sealed class DurableTaskShim(AzureStorageOrchestrationService service, TaskHubWorker worker) : IBenchEngine
    {
        private readonly TaskHubClient _client = new(service);

        public static async Task<DurableTaskShim> StartAsync(string connectionString, string hub, DtasKnobs knobs)
        {
            var service = await CreateServiceAsync(connectionString, hub, knobs);
            var shims = new Microsoft.DurableTask.Worker.Shims.DurableTaskShimFactory(new DurableTaskWorkerOptions(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            var worker = new TaskHubWorker(service, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            worker.AddTaskOrchestrations(new Creator<TaskOrchestration>(FanOut, () => shims.CreateOrchestration(new Microsoft.DurableTask.TaskName(FanOut), new NewFanOut(), parent: null)));
            worker.AddTaskActivities(new Creator<DurableTask.Core.TaskActivity>(Echo, () => shims.CreateActivity(new Microsoft.DurableTask.TaskName(Echo), new NewEcho())));
            await worker.StartAsync();
            return new DurableTaskShim(service, worker);
        }

        public async Task RunAsync(int count, int activities)
        {
            var instances = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => _client.CreateOrchestrationInstanceAsync(FanOut, string.Empty, activities)));
            var done = await Task.WhenAll(instances.Select(i => _client.WaitForOrchestrationAsync(i, TimeSpan.FromMinutes(10))));
            if (done.FirstOrDefault(d => d?.OrchestrationStatus != OrchestrationStatus.Completed) is { } bad)
            {
                throw new InvalidOperationException($"orchestration {bad.OrchestrationInstance.InstanceId} ended {bad.OrchestrationStatus}");
            }
        }

        public async ValueTask DisposeAsync() => await worker.StopAsync(isForced: true);

        private sealed class Creator<T> : ObjectCreator<T>
        {
            private readonly Func<T> _create;

            public Creator(string name, Func<T> create)
            {
                Name = name;
                Version = string.Empty;
                _create = create;
            }

            public override T Create() => _create();
        }
    }
}
