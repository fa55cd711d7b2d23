namespace IdpServerless.Durable;

/// <summary>Starts, inspects and controls orchestration instances. Registered as a singleton by <c>AddDurableEngine</c>.</summary>
public interface IOrchestrationClient
{
    /// <summary>
    /// Schedules a new instance and returns its id. <see cref="OrchestrationAlreadyExistsException"/> when a non-finished
    /// instance with <see cref="StartOrchestrationOptions.InstanceId"/> exists; a finished one is replaced.
    /// </summary>
    Task<string> StartNewAsync(string orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken ct = default);

    /// <summary>The instance's status, or null when it does not exist.</summary>
    Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = true, CancellationToken ct = default);

    /// <summary>
    /// Sends an event to the instance (buffered until it waits for it). <see cref="InstanceNotFoundException"/> for an
    /// unknown instance, <see cref="InstanceCompletedException"/> for a finished one.
    /// </summary>
    Task RaiseEventAsync(string instanceId, string eventName, object? eventData = null, CancellationToken ct = default);

    /// <summary>Ends the instance as Terminated (results of its pending work are ignored; running children are terminated too).</summary>
    Task TerminateAsync(string instanceId, string? reason = null, CancellationToken ct = default);

    /// <summary>Pauses the instance: events and results that arrive meanwhile are kept and applied on resume.</summary>
    Task SuspendAsync(string instanceId, string? reason = null, CancellationToken ct = default);

    /// <summary>Resumes a suspended instance.</summary>
    Task ResumeAsync(string instanceId, string? reason = null, CancellationToken ct = default);

    /// <summary>
    /// Deletes a finished instance's status, history and payloads; returns the number of instances deleted (0 when
    /// unknown). <see cref="InstanceNotFinishedException"/> when it is still Pending, Running or Suspended.
    /// </summary>
    Task<int> PurgeAsync(string instanceId, CancellationToken ct = default);

    /// <summary>One page of instances matching <paramref name="query"/>.</summary>
    Task<OrchestrationQueryResult> QueryAsync(OrchestrationQuery query, CancellationToken ct = default);

    /// <summary>The current execution's history, oldest first; <see cref="InstanceNotFoundException"/> when unknown.</summary>
    Task<IReadOnlyList<HistoryEvent>> GetHistoryAsync(string instanceId, CancellationToken ct = default);

    /// <summary>Polls until the instance finishes; <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    Task<OrchestrationMetadata> WaitForCompletionAsync(string instanceId, TimeSpan timeout, CancellationToken ct = default);
}

/// <summary>Options of <see cref="IOrchestrationClient.StartNewAsync"/>.</summary>
/// <param name="InstanceId">The id (1-100 of <c>A-Z a-z 0-9 - _ . : @</c>); a new GUID when null.</param>
/// <param name="Labels">Correlation labels (keys 1-64 of <c>A-Z a-z 0-9 _</c>, at most 16, values at most 256 chars) usable in queries.</param>
/// <param name="StartAt">Start no earlier than this time.</param>
public sealed record StartOrchestrationOptions(string? InstanceId = null, IReadOnlyDictionary<string, string>? Labels = null, DateTimeOffset? StartAt = null);

/// <summary>Lifecycle of an instance.</summary>
public enum OrchestrationRuntimeStatus
{
    Pending,
    Running,
    Suspended,
    Completed,
    Failed,
    Terminated,
    ContinuedAsNew,
}

/// <summary>Helpers on <see cref="OrchestrationRuntimeStatus"/>.</summary>
public static class OrchestrationRuntimeStatusExtensions
{
    /// <summary>Completed, Failed or Terminated: the instance takes no more work.</summary>
    public static bool IsFinished(this OrchestrationRuntimeStatus status) =>
        status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;
}

/// <summary>An instance's status as clients see it. Serialized values are JSON text (web defaults).</summary>
public sealed record OrchestrationMetadata(
    string Name,
    string InstanceId,
    OrchestrationRuntimeStatus RuntimeStatus,
    string? SerializedInput,
    string? SerializedOutput,
    string? SerializedCustomStatus,
    DateTimeOffset CreatedTime,
    DateTimeOffset LastUpdatedTime,
    IReadOnlyDictionary<string, string> Labels,
    TaskFailureDetails? FailureDetails)
{
    /// <summary>The execution's id (changes on ContinueAsNew and restarts).</summary>
    public string? ExecutionId { get; init; }

    /// <summary>W3C traceparent of the orchestration's trace.</summary>
    public string? TraceParent { get; init; }

    public T? ReadOutputAs<T>() => DurableJson.Deserialize<T>(SerializedOutput);

    public T? ReadCustomStatusAs<T>() => DurableJson.Deserialize<T>(SerializedCustomStatus);

    public T? ReadInputAs<T>() => DurableJson.Deserialize<T>(SerializedInput);
}

/// <summary>A query of instances; every given filter must match.</summary>
/// <param name="Name">Orchestrator name.</param>
/// <param name="Statuses">Any of these statuses.</param>
/// <param name="CreatedFrom">Created at or after.</param>
/// <param name="CreatedTo">Created before.</param>
/// <param name="Labels">Each label must equal the given value.</param>
/// <param name="PageSize">Instances per page (1-1000; default 100).</param>
/// <param name="ContinuationToken">From the previous page's result.</param>
/// <param name="FetchInputsAndOutputs">Include inputs, outputs and custom status (slower for large payloads).</param>
public sealed record OrchestrationQuery(
    string? Name = null,
    IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses = null,
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    int PageSize = 100,
    string? ContinuationToken = null,
    bool FetchInputsAndOutputs = false);

/// <summary>One page of a query; <see cref="ContinuationToken"/> is null on the last page.</summary>
public sealed record OrchestrationQueryResult(IReadOnlyList<OrchestrationMetadata> Instances, string? ContinuationToken);
