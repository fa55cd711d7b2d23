using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Hosting.Functions;

/// <summary>
/// Every queue and timer function of the app, declared once in code. The standalone dispatchers, the
/// custom-handler invocation endpoints and the generated <c>function.json</c> files all read it, so they cannot drift.
/// HTTP functions are ASP.NET Core endpoints; the Functions host reaches them through one front-door HTTP function.
/// </summary>
public sealed class FunctionRegistry
{
    private readonly Dictionary<string, QueueFunction> _queues;
    private readonly Dictionary<string, TimerFunction> _timers;

    public FunctionRegistry(IEnumerable<QueueFunction> queueFunctions, IEnumerable<TimerFunction> timerFunctions)
    {
        _queues = new(StringComparer.OrdinalIgnoreCase);
        _timers = new(StringComparer.OrdinalIgnoreCase);
        foreach (var q in queueFunctions)
        {
            Validate(q.Name);
            QueueNames.Validate(q.QueueName);
            if (!_queues.TryAdd(q.Name, q) || _timers.ContainsKey(q.Name))
            {
                throw new InvalidOperationException($"Function '{q.Name}' is declared twice.");
            }
        }

        foreach (var t in timerFunctions)
        {
            Validate(t.Name);
            _ = CronSchedule.Parse(t.Schedule);
            if (!_timers.TryAdd(t.Name, t) || _queues.ContainsKey(t.Name))
            {
                throw new InvalidOperationException($"Function '{t.Name}' is declared twice.");
            }
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

    /// <summary>Name of the front-door HTTP function that forwards every HTTP request to the app.</summary>
    public const string HttpFrontDoorName = "HttpFrontDoor";

    public IReadOnlyCollection<QueueFunction> QueueFunctions => _queues.Values;

    public IReadOnlyCollection<TimerFunction> TimerFunctions => _timers.Values;

    public bool TryGetQueue(string name, out QueueFunction function) => _queues.TryGetValue(name, out function!);

    public bool TryGetTimer(string name, out TimerFunction function) => _timers.TryGetValue(name, out function!);

    private static void Validate(string name)
    {
        // The host requires function names to be valid folder names: letters, digits, '_' and '-', starting with a letter.
        if (string.IsNullOrEmpty(name) || !char.IsAsciiLetter(name[0]) ||
            name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) || name.Length > 128)
        {
            throw new InvalidOperationException($"'{name}' is not a valid function name.");
        }

        if (string.Equals(name, HttpFrontDoorName, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"'{name}' is reserved.");
        }
    }
}

/// <summary>Registration of queue and timer functions.</summary>
public static class FunctionRegistrationExtensions
{
    /// <summary>Declares a queue-triggered function handled by <typeparamref name="THandler"/>.</summary>
    public static IServiceCollection AddQueueFunction<THandler>(
        this IServiceCollection services, string name, string queueName, Func<QueueFunction, QueueFunction>? configure = null)
        where THandler : class, IQueueHandler
    {
        var function = new QueueFunction(name, queueName, typeof(THandler));
        services.AddSingleton(configure is null ? function : configure(function));
        services.AddScoped<THandler>();
        return services;
    }

    /// <summary>Declares a timer-triggered function handled by <typeparamref name="THandler"/>.</summary>
    public static IServiceCollection AddTimerFunction<THandler>(
        this IServiceCollection services, string name, string schedule, bool runOnStartup = false)
        where THandler : class, ITimerHandler
    {
        services.AddSingleton(new TimerFunction(name, schedule, typeof(THandler)) { RunOnStartup = runOnStartup });
        services.AddScoped<THandler>();
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
