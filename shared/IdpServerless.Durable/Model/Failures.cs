namespace IdpServerless.Durable;

/// <summary>Why an activity, sub-orchestration or orchestration failed; serializable, so it survives the history.</summary>
/// <param name="ErrorType">The exception's full type name.</param>
/// <param name="Message">The exception's message.</param>
/// <param name="StackTrace">The stack trace where it was thrown, when known.</param>
/// <param name="Inner">The inner failure, if any.</param>
public sealed record TaskFailureDetails(string ErrorType, string Message, string? StackTrace, TaskFailureDetails? Inner)
{
    /// <summary>True when the failure's exception type is <typeparamref name="T"/> or derives from it.</summary>
    public bool IsCausedBy<T>()
        where T : Exception
    {
        if (string.Equals(ErrorType, typeof(T).FullName, StringComparison.Ordinal))
        {
            return true;
        }

        var type = FindType(ErrorType);
        return type is not null && typeof(T).IsAssignableFrom(type);
    }

    /// <summary>The details of <paramref name="exception"/> (and its inner exceptions).</summary>
    public static TaskFailureDetails FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is TaskFailedException failed)
        {
            return new TaskFailureDetails(typeof(TaskFailedException).FullName!, failed.Message, failed.StackTrace, failed.FailureDetails);
        }

        var inner = exception is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerException : exception.InnerException;
        return new TaskFailureDetails(
            exception.GetType().FullName ?? exception.GetType().Name,
            exception.Message,
            exception.StackTrace,
            inner is null ? null : FromException(inner));
    }

    private static Type? FindType(string name)
    {
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.GetType(name, throwOnError: false) is { } t)
            {
                return t;
            }
        }

        return null;
    }
}

/// <summary>Thrown in an orchestrator when an activity or sub-orchestration it awaited failed (after its retries).</summary>
public sealed class TaskFailedException : Exception
{
    public TaskFailedException(string taskName, TaskFailureDetails failureDetails)
        : base($"Task '{taskName}' failed: {failureDetails?.ErrorType}: {failureDetails?.Message}")
    {
        TaskName = taskName;
        FailureDetails = failureDetails ?? throw new ArgumentNullException(nameof(failureDetails));
    }

    public TaskFailedException()
        : this("unknown", new TaskFailureDetails(typeof(TaskFailedException).FullName!, "Task failed.", null, null))
    {
    }

    public TaskFailedException(string message)
        : this("unknown", new TaskFailureDetails(typeof(TaskFailedException).FullName!, message, null, null))
    {
    }

    public TaskFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        TaskName = "unknown";
        FailureDetails = TaskFailureDetails.FromException(innerException);
    }

    /// <summary>The activity or sub-orchestrator name.</summary>
    public string TaskName { get; }

    /// <summary>What went wrong in the task.</summary>
    public TaskFailureDetails FailureDetails { get; }
}

/// <summary>Replay found the orchestrator scheduling something other than its history recorded: its code is not deterministic (or changed under a running instance).</summary>
public sealed class NonDeterministicOrchestrationException(string message) : Exception(message);

/// <summary>A non-finished instance with this id exists (HTTP 409).</summary>
public sealed class OrchestrationAlreadyExistsException(string instanceId)
    : Exception($"An orchestration instance '{instanceId}' exists and has not finished.")
{
    public string InstanceId { get; } = instanceId;
}

/// <summary>No instance with this id exists (HTTP 404).</summary>
public sealed class InstanceNotFoundException(string instanceId)
    : Exception($"No orchestration instance '{instanceId}' exists.")
{
    public string InstanceId { get; } = instanceId;
}

/// <summary>The instance has finished (completed, failed or terminated) and takes no more events or commands (HTTP 410).</summary>
public sealed class InstanceCompletedException(string instanceId, OrchestrationRuntimeStatus status)
    : Exception($"Orchestration instance '{instanceId}' has finished ({status}).")
{
    public string InstanceId { get; } = instanceId;

    public OrchestrationRuntimeStatus Status { get; } = status;
}

/// <summary>The operation needs a finished instance (e.g. purge of a running one; HTTP 409).</summary>
public sealed class InstanceNotFinishedException(string instanceId, OrchestrationRuntimeStatus status)
    : Exception($"Orchestration instance '{instanceId}' is {status}; only finished instances can be purged.")
{
    public string InstanceId { get; } = instanceId;

    public OrchestrationRuntimeStatus Status { get; } = status;
}
