namespace IdpServerless.Hosting.Functions;

/// <summary>A queue-triggered function: declared once, dispatched by the standalone dispatcher or by the Functions host.</summary>
/// <param name="Name">Function name; also the folder name of its generated function.json and the host's POST route.</param>
/// <param name="QueueName">Azure Storage queue read in standalone mode (and in Azure unless a Service Bus entity is named).</param>
/// <param name="HandlerType">A type implementing <see cref="IQueueHandler"/>, resolved from a DI scope per message.</param>
public sealed record QueueFunction(string Name, string QueueName, Type HandlerType)
{
    /// <summary>Attempts before the message goes to <c>&lt;queue&gt;-poison</c> with its failure reason.</summary>
    public int MaxDequeueCount { get; init; } = 5;

    /// <summary>How long a received message stays invisible while it is handled (renewed while the handler runs).</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Messages handled at once by one app instance.</summary>
    public int MaxConcurrency { get; init; } = 16;

    /// <summary>Optional Service Bus queue read in Azure instead of the Storage queue (binding <c>serviceBusTrigger</c>).</summary>
    public string? ServiceBusQueue { get; init; }

    /// <summary>Optional Service Bus topic (with <see cref="ServiceBusSubscription"/>) read in Azure instead of the Storage queue.</summary>
    public string? ServiceBusTopic { get; init; }

    /// <summary>Subscription of <see cref="ServiceBusTopic"/>.</summary>
    public string? ServiceBusSubscription { get; init; }

    /// <summary>Poll interval ceiling when the queue is idle.</summary>
    public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// False when the feature that declares the function reads its queue itself in standalone mode (e.g. the
    /// orchestration engine batches control-queue messages per instance under a partition lease); the function is
    /// still published and invoked by the Functions host in custom-handler mode.
    /// </summary>
    public bool StandaloneDispatch { get; init; } = true;

    /// <summary>The poison queue's name.</summary>
    public string PoisonQueueName => QueueName + "-poison";
}

/// <summary>A timer-triggered function with an NCRONTAB schedule (six fields, seconds first, as Azure Functions uses).</summary>
public sealed record TimerFunction(string Name, string Schedule, Type HandlerType)
{
    /// <summary>Run once when the app starts (the host's <c>runOnStartup</c>).</summary>
    public bool RunOnStartup { get; init; }
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
