using Microsoft.Extensions.Logging;

namespace IdpServerless.Durable;

/// <summary>
/// What an orchestrator may do. Every member is replay-safe: on replay, scheduled work is matched against the
/// history instead of being done again, and time and GUIDs come back identical.
/// </summary>
public abstract class OrchestrationContext
{
    public abstract string InstanceId { get; }

    /// <summary>The orchestrator's registered name.</summary>
    public abstract string Name { get; }

    /// <summary>True while the orchestrator re-executes code whose effects are already in the history.</summary>
    public abstract bool IsReplaying { get; }

    /// <summary>The time the current episode started (from the history): use it instead of the wall clock.</summary>
    public abstract DateTimeOffset CurrentUtcDateTime { get; }

    /// <summary>Correlation labels given at start (e.g. <c>component</c>, <c>environment</c>).</summary>
    public abstract IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>A deterministic GUID (name-based, from the instance, execution and a counter).</summary>
    public abstract Guid NewGuid();

    /// <summary>Schedules activity <paramref name="name"/>; throws <see cref="TaskFailedException"/> when it fails (after retries).</summary>
    public abstract Task<T> CallActivityAsync<T>(string name, object? input = null, TaskOptions? options = null);

    /// <summary>Schedules activity <paramref name="name"/> and ignores its output.</summary>
    public Task CallActivityAsync(string name, object? input = null, TaskOptions? options = null) =>
        CallActivityAsync<object?>(name, input, options);

    /// <summary>
    /// Starts orchestrator <paramref name="name"/> as a child and waits for it; <see cref="TaskFailedException"/>
    /// (with the child's failure details) when it fails. The child id defaults to one derived from this instance.
    /// </summary>
    public abstract Task<T> CallSubOrchestratorAsync<T>(string name, object? input = null, string? instanceId = null, TaskOptions? options = null);

    /// <summary>A durable timer: completes at <paramref name="fireAt"/>, also across restarts. Cancelling it makes the task cancelled.</summary>
    public abstract Task CreateTimer(DateTimeOffset fireAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits for an event raised with <paramref name="eventName"/> (case-insensitive); events raised earlier are
    /// buffered and delivered in order. <see cref="TimeoutException"/> when <paramref name="timeout"/> passes first.
    /// </summary>
    public abstract Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Sets the status shown to clients; at most 16 KB of JSON, else <see cref="ArgumentException"/>.</summary>
    public abstract void SetCustomStatus(object? status);

    /// <summary>
    /// When the orchestrator returns, restart it with <paramref name="newInput"/> and an empty history (for eternal
    /// orchestrations). Events not yet consumed are carried over unless <paramref name="preserveUnprocessedEvents"/> is false.
    /// </summary>
    public abstract void ContinueAsNew(object? newInput, bool preserveUnprocessedEvents = true);

    /// <summary>A logger that writes only when not replaying, so each message appears once.</summary>
    public abstract ILogger CreateReplaySafeLogger(string categoryName);
}
