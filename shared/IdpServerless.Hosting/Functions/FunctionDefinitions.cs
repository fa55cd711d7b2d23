using System.Reflection;

namespace IdpServerless.Hosting.Functions;

/// <summary>
/// A queue-triggered function: a <c>[Function]</c> method with a <c>[QueueTrigger]</c> parameter. The Functions host
/// invokes it through the Storage Queues extension; standalone, <see cref="Dispatch.QueueDispatcher"/> calls the same method.
/// </summary>
/// <param name="Name">Function name (the <c>[Function]</c> attribute's).</param>
/// <param name="QueueName">The queue, with <c>%setting%</c> expressions resolved.</param>
/// <param name="Method">The function method; its class is created from a DI scope per message.</param>
public sealed record QueueFunction(string Name, string QueueName, MethodInfo Method)
{
    /// <summary>Attempts before the message goes to <c>&lt;queue&gt;-poison</c> with its failure reason (both modes).</summary>
    public int MaxDequeueCount { get; init; } = QueueHandlingAttribute.DefaultMaxDequeueCount;

    /// <summary>How long a received message stays invisible while it is handled (renewed while it runs; standalone).</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Messages handled at once by one app instance (standalone; the host uses host.json's batch size).</summary>
    public int MaxConcurrency { get; init; } = 16;

    /// <summary>Poll interval ceiling when the queue is idle (standalone).</summary>
    public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The queue name as the trigger attribute declares it (with any <c>%setting%</c>), as functions.metadata carries it.</summary>
    public string? DeclaredQueue { get; init; }

    /// <summary>The class that declares the function.</summary>
    public Type HandlerType => Method.DeclaringType!;

    /// <summary>The poison queue's name.</summary>
    public string PoisonQueueName => QueueName + "-poison";
}

/// <summary>A timer-triggered function with a six-field NCRONTAB schedule (seconds first, as Azure Functions uses).</summary>
public sealed record TimerFunction(string Name, string Schedule, MethodInfo Method)
{
    /// <summary>Run once when the app starts (the trigger's <c>RunOnStartup</c>).</summary>
    public bool RunOnStartup { get; init; }

    /// <summary>The schedule as the trigger attribute declares it (with any <c>%setting%</c>).</summary>
    public string? DeclaredSchedule { get; init; }

    /// <summary>The class that declares the function.</summary>
    public Type HandlerType => Method.DeclaringType!;
}

/// <summary>An orchestrator (<c>[OrchestrationTrigger]</c>) or activity (<c>[ActivityTrigger]</c>) function.</summary>
/// <param name="Name">Function name.</param>
/// <param name="Method">The function method.</param>
/// <param name="IsOrchestrator">True for an orchestrator.</param>
/// <param name="InputType">What the function's input is read as: an orchestrator's <see cref="OrchestrationInputAttribute"/>, an activity's trigger parameter.</param>
public sealed record DurableFunction(string Name, MethodInfo Method, bool IsOrchestrator, Type InputType);

/// <summary>
/// The type an orchestrator function reads with <c>context.GetInput&lt;T&gt;()</c>. The Functions host reads the
/// input lazily; standalone mode's Durable Task worker reads it before the function runs and needs the type.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OrchestrationInputAttribute(Type type) : Attribute
{
    public Type Type { get; } = type;
}

/// <summary>An HTTP-triggered function (the app has one: the front door into its own route table).</summary>
public sealed record HttpFunction(string Name, string? Route, IReadOnlyList<string> Methods);

/// <summary>
/// How our queue handling treats a function's messages beyond what the trigger attribute says. Both modes honour
/// <see cref="MaxDequeueCount"/> (the function itself writes the poison record on its last attempt; host.json's
/// <c>maxDequeueCount</c> is the ceiling); the others tune the standalone dispatcher, as host.json does for the host.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class QueueHandlingAttribute : Attribute
{
    /// <summary>The host's default, and host.json's <c>maxDequeueCount</c>.</summary>
    public const int DefaultMaxDequeueCount = 5;

    public int MaxDequeueCount { get; set; } = DefaultMaxDequeueCount;

    public int MaxConcurrency { get; set; } = 16;

    public int VisibilityTimeoutSeconds { get; set; } = 60;
}

/// <summary>What a queue handler receives.</summary>
public sealed record QueueMessageContext(
    string FunctionName,
    string QueueName,
    string MessageId,
    string Body,
    long DequeueCount,
    DateTimeOffset InsertionTime)
{
    /// <summary>
    /// Reads the body with <paramref name="parse"/>. A body that is not the JSON it expects, or is JSON <c>null</c>,
    /// can never succeed, so it goes to the poison queue at once, the reason naming <paramref name="what"/> (e.g.
    /// "The delivery") and what the parser found; retrying it would only delay that by every attempt.
    /// </summary>
    public T Read<T>(Func<string, T?> parse, string what)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(parse);
        T? value;
        try
        {
            value = parse(Body);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new PoisonMessageException($"{what} cannot be read, it is not JSON of the expected shape: {e.Message}", e);
        }

        return value ?? throw new PoisonMessageException($"{what} is empty (JSON null).");
    }
}

/// <summary>What a timer handler receives.</summary>
public sealed record TimerContext(string FunctionName, DateTimeOffset ScheduledTime, bool IsPastDue);

/// <summary>Handles one queue message. Throwing fails the attempt: the message is retried, then poisoned.</summary>
public interface IQueueHandler
{
    Task HandleAsync(QueueMessageContext message, CancellationToken cancellationToken);
}

/// <summary>Handles one timer occurrence.</summary>
public interface ITimerHandler
{
    Task HandleAsync(TimerContext timer, CancellationToken cancellationToken);
}

/// <summary>Thrown by a handler for a message that can never succeed: it goes to the poison queue at once.</summary>
public sealed class PoisonMessageException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>Thrown by a queue function whose attempt failed with attempts left, so that the trigger retries it.</summary>
public sealed class FunctionAttemptFailedException(string functionName, string reason)
    : Exception($"Function {functionName} failed: {reason}")
{
    public string Reason { get; } = reason;
}
