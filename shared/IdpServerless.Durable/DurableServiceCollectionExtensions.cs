using IdpServerless.Durable.Client;
using IdpServerless.Durable.Dispatch;
using IdpServerless.Durable.Engine;
using IdpServerless.Durable.Storage;
using IdpServerless.Hosting.Configuration;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Functions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IdpServerless.Durable;

/// <summary>Registration of the orchestration engine.</summary>
public static class DurableServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine: options from section <c>Durable</c> (<see cref="DurableOptions"/>), the
    /// <see cref="IOrchestrationClient"/>, one queue function per control queue and one for activities (so the
    /// Functions host triggers them in custom-handler mode), the stuck-instance timer, and in standalone mode the
    /// control-queue listener. Needs the storage client and the function registry (<c>AddFunctionApp</c>). Calling it
    /// again only returns a builder, so each feature can register its own orchestrators and activities.
    /// </summary>
    public static IDurableBuilder AddDurableEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(DurableHostMode)))
        {
            return new DurableBuilder(services); // Already added: features just register their orchestrators.
        }

        var options = configuration.GetSection(DurableOptions.Section).Get<DurableOptions>() ?? new DurableOptions();
        options.Validate();
        var mode = HostingModeDetector.Detect(configuration);

        services.AddOptions<DurableOptions>().BindConfiguration(DurableOptions.Section).Validate(o =>
        {
            o.Validate();
            return true;
        }).ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<QueueWakeup>();
        services.AddSingleton(new DurableHostMode(mode));
        services.AddSingleton<TaskHub>();
        services.AddSingleton<HistoryStore>();
        services.AddSingleton<InstanceStore>();
        services.AddSingleton<PayloadStore>();
        services.AddSingleton<MessageSender>();
        services.AddSingleton(sp => new SessionCache(sp.GetRequiredService<IOptions<DurableOptions>>().Value.MaxCachedInstances));
        services.AddSingleton<EpisodeProcessor>();
        services.AddSingleton<DurableRegistry>();
        services.AddSingleton<IOrchestrationClient, OrchestrationClient>();
        services.AddSingleton(sp => new StuckInstanceDetector(sp.GetRequiredService<TaskHub>(), sp.GetRequiredService<TimeProvider>()));

        for (var p = 0; p < options.PartitionCount; p++)
        {
            var queue = TaskHub.ControlQueueName(options.TaskHub, p);
            services.AddQueueFunction<ControlQueueHandler>(DurableFunctionNames.ForControlQueue(queue), queue, f => f with
            {
                StandaloneDispatch = false,
                MaxConcurrency = options.MaxConcurrentOrchestrations,
                VisibilityTimeout = options.ControlVisibilityTimeout,
            });
        }

        services.AddQueueFunction<ActivityWorkItemHandler>(DurableFunctionNames.Activity, TaskHub.WorkItemQueueName(options.TaskHub), f => f with
        {
            MaxConcurrency = options.MaxConcurrentActivities,
            VisibilityTimeout = options.ActivityVisibilityTimeout,
            MaxPollingInterval = options.MaxPollingInterval,
        });
        services.AddTimerFunction<StuckInstanceCheck>(DurableFunctionNames.StuckCheck, options.StuckCheckSchedule);
        if (mode == HostingMode.Standalone && !string.Equals(configuration["Dispatch:Enabled"], "false", StringComparison.OrdinalIgnoreCase))
        {
            services.AddHostedService<ControlQueueListener>();
        }

        return new DurableBuilder(services);
    }

    private sealed class DurableBuilder(IServiceCollection services) : IDurableBuilder
    {
        public IServiceCollection Services => services;

        public IDurableBuilder AddOrchestrator<T>(string name)
            where T : class
        {
            DurableRegistry.Check(name, typeof(T), typeof(Orchestrator<,>));
            services.AddSingleton(new DurableFunctionRegistration(name, typeof(T), IsOrchestrator: true));
            return this;
        }

        public IDurableBuilder AddActivity<T>(string name)
            where T : class
        {
            DurableRegistry.Check(name, typeof(T), typeof(Activity<,>));
            services.AddSingleton(new DurableFunctionRegistration(name, typeof(T), IsOrchestrator: false));
            services.TryAddTransient<T>();
            return this;
        }
    }
}

/// <summary>How the app hosting the engine is hosted (decides who reads the control queues).</summary>
internal sealed record DurableHostMode(HostingMode Mode);
