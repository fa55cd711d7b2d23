using System.Text.Json.Serialization;

namespace IdpServerless.Durable.Storage;

/// <summary>A parent waiting for a sub-orchestration: where its completion goes.</summary>
internal sealed record ParentRef(
    [property: JsonPropertyName("i")] string InstanceId,
    [property: JsonPropertyName("x")] string ExecutionId,
    [property: JsonPropertyName("t")] int TaskId);

/// <summary>
/// A history event as stored and as carried by control messages. Short JSON names keep history rows and
/// messages small; <see cref="ToPublic"/> gives the public <see cref="HistoryEvent"/>.
/// </summary>
internal sealed record StoredEvent
{
    [JsonPropertyName("k")]
    public HistoryEventType Type { get; init; }

    [JsonPropertyName("ts")]
    public DateTimeOffset Timestamp { get; init; }

    [JsonPropertyName("id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? TaskId { get; init; }

    [JsonPropertyName("n")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; init; }

    /// <summary>Inline JSON payload.</summary>
    [JsonPropertyName("d")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Data { get; init; }

    /// <summary>Blob holding a payload too large to carry inline.</summary>
    [JsonPropertyName("dr")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DataRef { get; init; }

    [JsonPropertyName("f")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TaskFailureDetails? Failure { get; init; }

    [JsonPropertyName("at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? FireAt { get; init; }

    /// <summary>Child instance (sub-orchestrations).</summary>
    [JsonPropertyName("ci")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? InstanceId { get; init; }

    /// <summary>Execution started (ExecutionStarted), of the child (SubOrchestrationCreated) or the next one (ContinuedAsNew).</summary>
    [JsonPropertyName("x")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ExecutionId { get; init; }

    [JsonPropertyName("r")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }

    /// <summary>Id of the message that delivered this event (duplicate detection).</summary>
    [JsonPropertyName("m")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MessageId { get; init; }

    [JsonPropertyName("l")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? Labels { get; init; }

    [JsonPropertyName("p")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ParentRef? Parent { get; init; }

    [JsonPropertyName("tp")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; init; }

    /// <summary>Retry attempt of a scheduled task (1 = first).</summary>
    [JsonPropertyName("a")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Attempt { get; init; }

    /// <summary>Idempotency key of a scheduled activity (stable across its retries).</summary>
    [JsonPropertyName("ik")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? IdempotencyKey { get; init; }

    /// <summary>Events carried into a new execution by ContinueAsNew.</summary>
    [JsonPropertyName("ce")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<StoredEvent>? Carried { get; init; }

    public HistoryEvent ToPublic(long episode, string? worker, string? resolvedData) => new(Type, Timestamp)
    {
        TaskId = TaskId,
        Name = Name,
        Data = resolvedData ?? Data,
        Failure = Failure,
        FireAt = FireAt,
        InstanceId = InstanceId,
        Reason = Reason,
        Episode = episode,
        Worker = worker,
    };
}
