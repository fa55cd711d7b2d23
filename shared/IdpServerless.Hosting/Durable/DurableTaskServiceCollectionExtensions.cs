using System.Text.Json;
using IdpServerless.Hosting.Functions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdpServerless.Hosting.Durable;

/// <summary>One orchestrator or activity of the app, as registered (the list the contract tests check the build output against).</summary>
/// <param name="Name">The name code and clients use.</param>
/// <param name="Type">The implementing <see cref="TaskOrchestrator{TInput,TOutput}"/> or <see cref="TaskActivity{TInput,TOutput}"/>.</param>
/// <param name="IsOrchestrator">True for an orchestrator.</param>
public sealed record DurableTaskRegistration(string Name, Type Type, bool IsOrchestrator);

/// <summary>
/// The orchestrators this app can start: its <c>[OrchestrationTrigger]</c> functions and any class-based orchestrators
/// registered through <see cref="DurableTasksBuilder"/> (tests use those).
/// </summary>
public sealed class KnownOrchestrators(IEnumerable<DurableTaskRegistration> classes, FunctionRegistry? functions = null)
{
    private readonly Dictionary<string, string> _names = classes.Where(c => c.IsOrchestrator).Select(c => c.Name)
        .Concat(functions?.DurableFunctions.Where(f => f.IsOrchestrator).Select(f => f.Name) ?? [])
        .Distinct(StringComparer.OrdinalIgnoreCase)
        .ToDictionary(n => n, StringComparer.OrdinalIgnoreCase);

    /// <summary>The orchestrator's name as registered, for <paramref name="name"/> in any case.</summary>
    public bool TryGetName(string name, out string registered) => _names.TryGetValue(name, out registered!);
}

/// <summary>Lets tests register class-based orchestrators and activities beside the app's function-based ones.</summary>
public sealed class DurableTasksBuilder
{
    private readonly IServiceCollection _services;

    internal DurableTasksBuilder(IServiceCollection services) => _services = services;

    /// <summary>Registers a class-based orchestrator <typeparamref name="T"/> (the app's own are function-based; tests add their own this way) under <paramref name="name"/> (a new instance per execution).</summary>
    public DurableTasksBuilder AddOrchestrator<T>(string name)
        where T : class, ITaskOrchestrator => Add(name, typeof(T), isOrchestrator: true);

    /// <summary>Registers activity <typeparamref name="T"/> under <paramref name="name"/> (created from DI per call, so constructor injection works).</summary>
    public DurableTasksBuilder AddActivity<T>(string name)
        where T : class, ITaskActivity => Add(name, typeof(T), isOrchestrator: false);

    private DurableTasksBuilder Add(string name, Type type, bool isOrchestrator)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128 || name.Any(char.IsControl))
        {
            throw new ArgumentException($"'{name}' is not a valid orchestrator or activity name (1-128 printable characters).", nameof(name));
        }

        var existing = _services.Where(d => d.ServiceType == typeof(DurableTaskRegistration)).Select(d => (DurableTaskRegistration)d.ImplementationInstance!)
            .FirstOrDefault(r => r.IsOrchestrator == isOrchestrator && string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
        if (existing is not null)
        {
            return existing.Type == type ? this : throw new InvalidOperationException($"{(isOrchestrator ? "Orchestrator" : "Activity")} '{name}' is registered twice.");
        }

        _services.AddSingleton(new DurableTaskRegistration(name, type, isOrchestrator));
        _services.Configure<DurableTaskRegistry>(r =>
        {
            if (isOrchestrator)
            {
                r.AddOrchestrator(name, type);
            }
            else
            {
                r.AddActivity(name, type);
            }
        });
        return this;
    }
}

/// <summary>Registration of the orchestration engine.</summary>
public static class DurableTaskServiceCollectionExtensions
{
    /// <summary>
    /// The one JSON convention of orchestration payloads (inputs, outputs, custom status, event data): System.Text.Json
    /// with web defaults, as the Functions worker's serializer reads them (camelCase, case-insensitive).
    /// </summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Adds the engine: options from section <c>Durable</c> (<see cref="DurableTaskOptions"/>), the task hub on
    /// DurableTask.AzureStorage behind its gRPC API (<see cref="TaskHubSidecar"/>), a Durable Task worker running the
    /// registered orchestrators and activities (unless <c>Dispatch:Enabled</c> is <c>false</c>), the
    /// <see cref="DurableTaskClient"/>, and the timer that reports stuck instances and queue depths. Needs the storage
    /// client (<c>AddAzureStorage</c>) and the function registry. Calling it again only returns a builder, so each
    /// feature registers its own orchestrators and activities.
    /// </summary>
    public static DurableTasksBuilder AddDurableTask(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(TaskHubSidecar)))
        {
            return new DurableTasksBuilder(services);
        }

        var options = configuration.GetSection(DurableTaskOptions.Section).Get<DurableTaskOptions>() ?? new DurableTaskOptions();
        options.Validate();
        services.AddOptions<DurableTaskOptions>().BindConfiguration(DurableTaskOptions.Section).Validate(o =>
        {
            o.Validate();
            return true;
        }).ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging(b => b.AddFilter("DurableTask", LogLevel.Warning).AddFilter("Microsoft.DurableTask", LogLevel.Warning));

        // The sidecar is registered (and so started) before the worker's hosted service, and stopped after it.
        services.AddSingleton<TaskHubSidecar>();
        services.AddHostedService(sp => sp.GetRequiredService<TaskHubSidecar>());
        var converter = new JsonDataConverter(Json);
        var dispatch = new DurableDispatch(!string.Equals(configuration["Dispatch:Enabled"], "false", StringComparison.OrdinalIgnoreCase));
        services.AddSingleton(dispatch);
        if (dispatch.Enabled)
        {
            services.AddDurableTaskWorker(b =>
            {
                b.UseGrpc(_ => { });
                b.Configure(o =>
                {
                    o.DataConverter = converter;
                    o.Concurrency.MaximumConcurrentActivityWorkItems = options.MaxConcurrentActivities;
                    o.Concurrency.MaximumConcurrentOrchestrationWorkItems = options.MaxConcurrentOrchestrations;
                });
            });
            services.AddOptions<Microsoft.DurableTask.Worker.Grpc.GrpcDurableTaskWorkerOptions>(Options.DefaultName)
                .Configure<TaskHubSidecar>((o, sidecar) =>
                {
                    o.Channel = sidecar.Channel;
                    // The worker reconnects when its work-item stream is quiet for 2 minutes, because the Functions host
                    // sends health pings on it; this in-process server does not, and a reconnect while activities are in
                    // flight strands them (seen after a storage outage). In one process over a Unix socket the stream
                    // cannot go silently dead, so the check is off.
                    Microsoft.DurableTask.Worker.Grpc.Internal.InternalOptionsExtensions.SetSilentDisconnectTimeout(o, TimeSpan.Zero);
                });
        }

        services.AddDurableTaskClient(b =>
        {
            b.UseGrpc(_ => { });
            b.Configure(o => o.DataConverter = converter);
            b.RegisterDirectly();
        });
        services.AddOptions<Microsoft.DurableTask.Client.Grpc.GrpcDurableTaskClientOptions>(Options.DefaultName)
            .Configure<TaskHubSidecar>((o, sidecar) => o.Channel = sidecar.Channel);

        services.AddSingleton<OrchestrationInstances>();
        services.AddSingleton<StuckInstanceDetector>();
        services.AddSingleton(sp => new KnownOrchestrators(sp.GetServices<DurableTaskRegistration>(), sp.GetService<FunctionRegistry>()));
        services.AddSingleton<OrchestrationHealthCheck>();

        // The app's function-based orchestrators and activities (the [Function] methods AddFunctions discovered).
        services.AddOptions<DurableTaskRegistry>().Configure<IServiceProvider>((r, sp) =>
        {
            if (sp.GetService<FunctionRegistry>() is { } functions)
            {
                FunctionTasks.Register(r, functions.DurableFunctions);
            }
        });
        return new DurableTasksBuilder(services);
    }
}
