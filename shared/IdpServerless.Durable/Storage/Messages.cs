using System.Text.Json;
using System.Text.Json.Serialization;

namespace IdpServerless.Durable.Storage;

/// <summary>
/// A message on a control queue: events for one instance (several when a work item reports several results).
/// <see cref="ExecutionId"/> targets an execution; events for another execution are stale and dropped. <see cref="Id"/>
/// is unique per logical message (a resend after a crash keeps it), so a redelivered event is recognised in the
/// history and ignored.
/// </summary>
internal sealed record ControlMessage(
    [property: JsonPropertyName("i")] string InstanceId,
    [property: JsonPropertyName("x")] string? ExecutionId,
    [property: JsonPropertyName("e")] List<StoredEvent> Events,
    [property: JsonPropertyName("id")] string Id)
{
    /// <summary>A message carrying one event.</summary>
    public static ControlMessage Of(string instanceId, string? executionId, StoredEvent e, string id) => new(instanceId, executionId, [e], id);

    /// <summary>The first (for starts and client commands: the only) event.</summary>
    [JsonIgnore]
    public StoredEvent Event => Events[0];

    /// <summary>Not to be handled before (timers, scheduled starts); later than 7 days is reached by resending.</summary>
    [JsonPropertyName("nb")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? NotBefore { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, MessageJson.Options);

    public static ControlMessage Parse(string json) =>
        JsonSerializer.Deserialize<ControlMessage>(json, MessageJson.Options) is { InstanceId.Length: > 0, Events.Count: > 0, Id.Length: > 0 } m
            ? m
            : throw new JsonException("Not a control message.");
}

/// <summary>One activity call of a work item.</summary>
internal sealed record WorkItemTask(
    [property: JsonPropertyName("t")] int TaskId,
    [property: JsonPropertyName("n")] string Name,
    [property: JsonPropertyName("d")] string? Input,
    [property: JsonPropertyName("dr")] string? InputRef,
    [property: JsonPropertyName("a")] int Attempt,
    [property: JsonPropertyName("ik")] string IdempotencyKey);

/// <summary>
/// A message on the work-item queue: activity calls one episode scheduled for one instance (up to
/// <see cref="DurableOptions.MaxActivitiesPerWorkItem"/>), run in parallel; their results go back in one control message.
/// </summary>
internal sealed record WorkItemMessage(
    [property: JsonPropertyName("i")] string InstanceId,
    [property: JsonPropertyName("x")] string ExecutionId,
    [property: JsonPropertyName("ts")] List<WorkItemTask> Tasks,
    [property: JsonPropertyName("l")] Dictionary<string, string>? Labels,
    [property: JsonPropertyName("tp")] string? TraceParent)
{
    public string ToJson() => JsonSerializer.Serialize(this, MessageJson.Options);

    public static WorkItemMessage Parse(string json) =>
        JsonSerializer.Deserialize<WorkItemMessage>(json, MessageJson.Options) is { InstanceId.Length: > 0, Tasks.Count: > 0 } m
            ? m
            : throw new JsonException("Not a work item.");
}

internal static class MessageJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };
}
