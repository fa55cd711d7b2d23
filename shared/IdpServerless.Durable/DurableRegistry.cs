namespace IdpServerless.Durable;

/// <summary>Registration of orchestrators and activities.</summary>
public interface IDurableBuilder
{
    /// <summary>Registers <typeparamref name="T"/> (an <see cref="Orchestrator{TInput,TOutput}"/>) under <paramref name="name"/>.</summary>
    IDurableBuilder AddOrchestrator<T>(string name)
        where T : class;

    /// <summary>Registers <typeparamref name="T"/> (an <see cref="Activity{TInput,TOutput}"/>) under <paramref name="name"/>.</summary>
    IDurableBuilder AddActivity<T>(string name)
        where T : class;

    IServiceCollection Services { get; }
}

/// <summary>One registered orchestrator or activity.</summary>
/// <param name="Name">The name code and clients use.</param>
/// <param name="Type">The implementing type.</param>
/// <param name="IsOrchestrator">True for an orchestrator, false for an activity.</param>
public sealed record DurableFunctionRegistration(string Name, Type Type, bool IsOrchestrator);

/// <summary>The orchestrators and activities of this app, by name (case-insensitive).</summary>
public sealed class DurableRegistry
{
    private readonly Dictionary<string, Type> _orchestrators = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Type> _activities = new(StringComparer.OrdinalIgnoreCase);

    public DurableRegistry(IEnumerable<DurableFunctionRegistration> registrations)
    {
        foreach (var r in registrations)
        {
            var target = r.IsOrchestrator ? _orchestrators : _activities;
            if (!target.TryAdd(r.Name, r.Type) && target[r.Name] != r.Type)
            {
                throw new InvalidOperationException($"{(r.IsOrchestrator ? "Orchestrator" : "Activity")} '{r.Name}' is registered twice.");
            }
        }
    }

    public IReadOnlyCollection<string> Orchestrators => _orchestrators.Keys;

    public IReadOnlyCollection<string> Activities => _activities.Keys;

    public bool HasOrchestrator(string name) => _orchestrators.ContainsKey(name);

    public Type? FindOrchestrator(string name) => _orchestrators.GetValueOrDefault(name);

    public Type? FindActivity(string name) => _activities.GetValueOrDefault(name);

    internal static void Check(string name, Type type, Type openBase)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128 || name.Any(char.IsControl))
        {
            throw new ArgumentException($"'{name}' is not a valid orchestrator or activity name (1-128 printable characters).", nameof(name));
        }

        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.IsGenericType && t.GetGenericTypeDefinition() == openBase)
            {
                if (type.IsAbstract)
                {
                    break;
                }

                return;
            }
        }

        throw new ArgumentException($"{type.FullName} must be a concrete subclass of {openBase.Name.Split('`')[0]}<TInput, TOutput>.", nameof(type));
    }
}
