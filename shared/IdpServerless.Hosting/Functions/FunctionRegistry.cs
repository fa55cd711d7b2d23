using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IdpServerless.Hosting.Functions;

/// <summary>
/// Every function of the app, read from its <c>[Function]</c> methods: the same attributes the Worker SDK reads to
/// write <c>functions.metadata</c>, so the Functions host, the standalone dispatchers and the Durable Task worker
/// cannot disagree about what exists. <c>%setting%</c> expressions in queue names and schedules are resolved from
/// configuration, as the host resolves them from app settings.
/// </summary>
public sealed class FunctionRegistry
{
    private readonly Dictionary<string, QueueFunction> _queues = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, TimerFunction> _timers = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<DurableFunction> _durable = [];
    private readonly List<HttpFunction> _http = [];

    public FunctionRegistry(IEnumerable<QueueFunction> queues, IEnumerable<TimerFunction> timers, IEnumerable<DurableFunction>? durable = null, IEnumerable<HttpFunction>? http = null)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Claim(string name)
        {
            ValidateName(name);
            if (!names.Add(name))
            {
                throw new InvalidOperationException($"Function '{name}' is declared twice.");
            }
        }

        foreach (var q in queues)
        {
            Claim(q.Name);
            QueueNames.Validate(q.QueueName);
            _queues[q.Name] = q;
        }

        foreach (var t in timers)
        {
            Claim(t.Name);
            _ = CronSchedule.Parse(t.Schedule);
            _timers[t.Name] = t;
        }

        foreach (var d in durable ?? [])
        {
            Claim(d.Name);
            _durable.Add(d);
        }

        foreach (var h in http ?? [])
        {
            Claim(h.Name);
            _http.Add(h);
        }

        foreach (var group in _queues.Values.GroupBy(q => q.QueueName, StringComparer.OrdinalIgnoreCase))
        {
            if (group.Count() > 1)
            {
                throw new InvalidOperationException(
                    $"Queue '{group.Key}' is read by more than one function: {string.Join(", ", group.Select(g => g.Name))}.");
            }
        }
    }

    public IReadOnlyCollection<QueueFunction> QueueFunctions => _queues.Values;

    public IReadOnlyCollection<TimerFunction> TimerFunctions => _timers.Values;

    public IReadOnlyList<DurableFunction> DurableFunctions => _durable;

    public IReadOnlyList<HttpFunction> HttpFunctions => _http;

    public bool TryGetQueue(string name, out QueueFunction function) => _queues.TryGetValue(name, out function!);

    public bool TryGetTimer(string name, out TimerFunction function) => _timers.TryGetValue(name, out function!);

    public QueueFunction GetQueue(string name) =>
        _queues.TryGetValue(name, out var f) ? f : throw new InvalidOperationException($"No queue function is named '{name}'.");

    public TimerFunction GetTimer(string name) =>
        _timers.TryGetValue(name, out var f) ? f : throw new InvalidOperationException($"No timer function is named '{name}'.");

    /// <summary>Reads every <c>[Function]</c> method of <paramref name="assemblies"/>.</summary>
    public static FunctionRegistry Discover(IEnumerable<Assembly> assemblies, IConfiguration configuration) =>
        Discover(assemblies.Distinct().SelectMany(a => a.GetTypes()), configuration);

    /// <summary>Reads every <c>[Function]</c> method of <paramref name="types"/>.</summary>
    public static FunctionRegistry Discover(IEnumerable<Type> types, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(configuration);
        var queues = new List<QueueFunction>();
        var timers = new List<TimerFunction>();
        var durable = new List<DurableFunction>();
        var http = new List<HttpFunction>();
        foreach (var method in FunctionMethods(types.Distinct()))
        {
            var name = method.GetCustomAttribute<FunctionAttribute>()!.Name;
            var where = $"{method.DeclaringType!.Name}.{method.Name}";
            ParameterInfo? Trigger<T>() where T : Attribute => method.GetParameters().SingleOrDefault(p => p.GetCustomAttribute<T>() is not null);
            if (Trigger<QueueTriggerAttribute>() is { } qp)
            {
                var attribute = qp.GetCustomAttribute<QueueTriggerAttribute>()!;
                var handling = method.GetCustomAttribute<QueueHandlingAttribute>() ?? new QueueHandlingAttribute();
                RequireParameters(method, where, typeof(Azure.Storage.Queues.Models.QueueMessage));
                queues.Add(new QueueFunction(name, Resolve(attribute.QueueName, configuration, name), method)
                {
                    DeclaredQueue = attribute.QueueName,
                    MaxDequeueCount = handling.MaxDequeueCount,
                    MaxConcurrency = handling.MaxConcurrency,
                    VisibilityTimeout = TimeSpan.FromSeconds(handling.VisibilityTimeoutSeconds),
                });
            }
            else if (Trigger<TimerTriggerAttribute>() is { } tp)
            {
                var attribute = tp.GetCustomAttribute<TimerTriggerAttribute>()!;
                RequireParameters(method, where, typeof(TimerInfo));
                timers.Add(new TimerFunction(name, Resolve(attribute.Schedule, configuration, name), method) { RunOnStartup = attribute.RunOnStartup, DeclaredSchedule = attribute.Schedule });
            }
            else if (Trigger<OrchestrationTriggerAttribute>() is not null)
            {
                if (!method.IsStatic || method.GetParameters().Length != 1 || method.GetParameters()[0].ParameterType != typeof(Microsoft.DurableTask.TaskOrchestrationContext))
                {
                    throw new InvalidOperationException($"Orchestrator {where} must be static and take only the TaskOrchestrationContext.");
                }

                var input = method.GetCustomAttribute<OrchestrationInputAttribute>()
                    ?? throw new InvalidOperationException($"Orchestrator {where} must declare [OrchestrationInput(typeof(...))]: the type it reads with GetInput.");
                durable.Add(new DurableFunction(name, method, IsOrchestrator: true, input.Type));
            }
            else if (Trigger<ActivityTriggerAttribute>() is { } ap)
            {
                if (method.GetParameters().Any(p => p != ap && p.ParameterType != typeof(CancellationToken)))
                {
                    throw new InvalidOperationException($"Activity {where} may take only its input and a CancellationToken.");
                }

                durable.Add(new DurableFunction(name, method, IsOrchestrator: false, ap.ParameterType));
            }
            else if (Trigger<HttpTriggerAttribute>() is { } hp)
            {
                var attribute = hp.GetCustomAttribute<HttpTriggerAttribute>()!;
                http.Add(new HttpFunction(name, attribute.Route, attribute.Methods ?? []));
            }
            else
            {
                throw new InvalidOperationException($"Function {where} has no trigger this app knows (queue, timer, orchestration, activity, HTTP).");
            }
        }

        return new FunctionRegistry(queues, timers, durable, http);
    }

    /// <summary>The <c>[Function]</c> methods of <paramref name="types"/>, by name.</summary>
    public static IEnumerable<MethodInfo> FunctionMethods(IEnumerable<Type> types) =>
        types
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null)
            .OrderBy(m => m.GetCustomAttribute<FunctionAttribute>()!.Name, StringComparer.Ordinal);

    /// <summary>Resolves <c>%setting%</c> parts of a trigger's value, as the host's name resolver does.</summary>
    public static string Resolve(string value, IConfiguration configuration, string functionName)
    {
        ArgumentNullException.ThrowIfNull(value);
        var result = new System.Text.StringBuilder();
        var i = 0;
        while (i < value.Length)
        {
            var start = value.IndexOf('%', i);
            if (start < 0)
            {
                result.Append(value, i, value.Length - i);
                break;
            }

            var end = value.IndexOf('%', start + 1);
            if (end < 0)
            {
                throw new InvalidOperationException($"Function {functionName}: '{value}' has an unclosed %setting% expression.");
            }

            result.Append(value, i, start - i);
            var setting = value[(start + 1)..end];
            var resolved = configuration[setting];
            if (string.IsNullOrWhiteSpace(resolved))
            {
                throw new InvalidOperationException($"Function {functionName} needs the app setting '{setting}' (used as '{value}'), which is not set.");
            }

            result.Append(resolved);
            i = end + 1;
        }

        return result.ToString();
    }

    private static void RequireParameters(MethodInfo method, string where, Type trigger)
    {
        foreach (var p in method.GetParameters())
        {
            if (p.ParameterType != trigger && p.ParameterType != typeof(CancellationToken))
            {
                throw new InvalidOperationException($"Function {where} may take only its {trigger.Name} and a CancellationToken (standalone mode supplies nothing else), not {p.ParameterType.Name} {p.Name}.");
            }
        }

        if (method.IsStatic || !typeof(Task).IsAssignableFrom(method.ReturnType))
        {
            throw new InvalidOperationException($"Function {where} must be an instance method returning Task.");
        }
    }

    private static void ValidateName(string name)
    {
        // The host requires function names to be letters, digits, '_' and '-', starting with a letter.
        if (string.IsNullOrEmpty(name) || !char.IsAsciiLetter(name[0]) ||
            name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) || name.Length > 128)
        {
            throw new InvalidOperationException($"'{name}' is not a valid function name.");
        }
    }
}

/// <summary>Registration of the app's functions.</summary>
public static class FunctionRegistrationExtensions
{
    /// <summary>
    /// Discovers the <c>[Function]</c> methods of <paramref name="assemblies"/> (queue and timer functions' classes are
    /// created per invocation from a DI scope, as the worker creates them) and registers the <see cref="FunctionRegistry"/>.
    /// </summary>
    public static IServiceCollection AddFunctions(this IServiceCollection services, IConfiguration configuration, params Assembly[] assemblies) =>
        services.AddFunctions(FunctionRegistry.Discover(assemblies, configuration));

    /// <summary>Registers <paramref name="registry"/> and the classes of its queue and timer functions.</summary>
    public static IServiceCollection AddFunctions(this IServiceCollection services, FunctionRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        services.AddSingleton(registry);
        foreach (var type in registry.QueueFunctions.Select(q => q.HandlerType).Concat(registry.TimerFunctions.Select(t => t.HandlerType)).Distinct())
        {
            services.TryAddScoped(type);
        }

        return services;
    }
}

/// <summary>Azure Storage queue naming rules.</summary>
public static class QueueNames
{
    /// <summary>Throws when <paramref name="name"/> is not a legal queue name (3-63 chars, lowercase letters, digits, single dashes).</summary>
    public static void Validate(string name)
    {
        var ok = name.Length is >= 3 and <= 63 && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]) &&
                 name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') && !name.Contains("--", StringComparison.Ordinal);
        if (!ok)
        {
            throw new InvalidOperationException($"'{name}' is not a valid queue name.");
        }
    }
}
