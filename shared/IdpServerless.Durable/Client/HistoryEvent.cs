namespace IdpServerless.Durable;

/// <summary>Kinds of history events.</summary>
public enum HistoryEventType
{
    /// <summary>An episode began: its time is the orchestrator's <c>CurrentUtcDateTime</c> from here on.</summary>
    OrchestratorStarted,
    ExecutionStarted,
    ExecutionCompleted,
    ExecutionFailed,
    ExecutionTerminated,
    ExecutionSuspended,
    ExecutionResumed,
    ContinuedAsNew,
    TaskScheduled,
    TaskCompleted,
    TaskFailed,
    TimerCreated,
    TimerFired,
    SubOrchestrationCreated,
    SubOrchestrationCompleted,
    SubOrchestrationFailed,
    EventRaised,
}

/// <summary>
/// One event of an instance's history. <see cref="TaskId"/> numbers the orchestrator's durable steps (activities,
/// timers, sub-orchestrations) from 1 in the order it scheduled them; completions refer to it.
/// </summary>
public sealed record HistoryEvent(HistoryEventType Type, DateTimeOffset Timestamp)
{
    /// <summary>The step this event schedules or completes.</summary>
    public int? TaskId { get; init; }

    /// <summary>Activity, orchestrator or event name.</summary>
    public string? Name { get; init; }

    /// <summary>Input, result, output or event data as JSON text (large values are stored in blobs and read back).</summary>
    public string? Data { get; init; }

    /// <summary>Failure details of TaskFailed, SubOrchestrationFailed and ExecutionFailed.</summary>
    public TaskFailureDetails? Failure { get; init; }

    /// <summary>When a timer fires.</summary>
    public DateTimeOffset? FireAt { get; init; }

    /// <summary>The child instance of a sub-orchestration.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Reason of terminate, suspend and resume.</summary>
    public string? Reason { get; init; }

    /// <summary>Which episode appended this event (1 = the first).</summary>
    public long Episode { get; init; }

    /// <summary>The app process (machine:pid) that appended it.</summary>
    public string? Worker { get; init; }
}
