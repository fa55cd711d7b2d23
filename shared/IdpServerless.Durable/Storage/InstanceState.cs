using System.Globalization;
using System.Text.Json;
using IdpServerless.Storage;

namespace IdpServerless.Durable.Storage;

/// <summary>
/// Everything known about an instance apart from its event list. Stored twice: on the history partition's
/// <c>state</c> row, written atomically with each episode's events under the ETag guard (the truth), and on the
/// instance's row in the Instances table (a projection for status reads and queries, written right after).
/// </summary>
internal sealed record InstanceState
{
    public const string LabelPrefix = "L_";

    public required string InstanceId { get; init; }

    public required string Name { get; init; }

    public OrchestrationRuntimeStatus Status { get; init; }

    /// <summary>The current execution.</summary>
    public required string ExecutionId { get; init; }

    /// <summary>After ContinueAsNew: the execution that starts next.</summary>
    public string? NextExecutionId { get; init; }

    /// <summary>True once ExecutionStarted of the current execution is in the history.</summary>
    public bool Started { get; init; }

    public string? Input { get; init; }

    public string? InputRef { get; init; }

    public string? Output { get; init; }

    public string? OutputRef { get; init; }

    public string? CustomStatus { get; init; }

    public TaskFailureDetails? Failure { get; init; }

    public DateTimeOffset CreatedTime { get; init; }

    public DateTimeOffset LastUpdatedTime { get; init; }

    public DateTimeOffset? ScheduledStartTime { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public string? TraceParent { get; init; }

    public ParentRef? Parent { get; init; }

    /// <summary>Episodes committed for this instance (never reset, so a stale write can be recognised).</summary>
    public long Episode { get; init; }

    /// <summary>First history row of the current execution.</summary>
    public long HistoryStart { get; init; }

    /// <summary>Last committed history row (0 = none).</summary>
    public long LastRow { get; init; }

    /// <summary>The last episode whose outgoing messages are known to be sent.</summary>
    public long SentEpisode { get; init; }

    public int OpenActivities { get; init; }

    public int OpenSubOrchestrations { get; init; }

    public DateTimeOffset? NextTimerAt { get; init; }

    /// <summary>Event names the orchestrator waits for (comma-separated).</summary>
    public string? WaitingFor { get; init; }

    public TableEntity ToEntity(string partitionKey, string rowKey)
    {
        var e = new TableEntity(partitionKey, rowKey)
        {
            ["InstanceId"] = InstanceId,
            ["Name"] = Name,
            ["RuntimeStatus"] = Status.ToString(),
            ["ExecutionId"] = ExecutionId,
            ["NextExecutionId"] = NextExecutionId,
            ["Started"] = Started,
            ["Input"] = Input,
            ["InputRef"] = InputRef,
            ["Output"] = Output,
            ["OutputRef"] = OutputRef,
            ["CustomStatus"] = CustomStatus,
            ["Failure"] = Failure is null ? null : JsonSerializer.Serialize(Trim(Failure), DurableJson.Options),
            ["CreatedTime"] = CreatedTime,
            ["LastUpdatedTime"] = LastUpdatedTime,
            ["ScheduledStartTime"] = ScheduledStartTime,
            ["Labels"] = Labels.Count == 0 ? null : JsonSerializer.Serialize(Labels, DurableJson.Options),
            ["TraceParent"] = TraceParent,
            ["Parent"] = Parent is null ? null : JsonSerializer.Serialize(Parent, DurableJson.Options),
            ["Episode"] = Episode,
            ["HistoryStart"] = HistoryStart,
            ["LastRow"] = LastRow,
            ["SentEpisode"] = SentEpisode,
            ["OpenActivities"] = OpenActivities,
            ["OpenSubOrchestrations"] = OpenSubOrchestrations,
            ["NextTimerAt"] = NextTimerAt,
            ["WaitingFor"] = WaitingFor,
        };
        foreach (var (k, v) in Labels)
        {
            e[LabelPrefix + k] = v;
        }

        return e;
    }

    public static InstanceState FromEntity(TableEntity e)
    {
        var labels = e.GetString("Labels") is { } l
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(l, DurableJson.Options) ?? []
            : new Dictionary<string, string>();
        return new InstanceState
        {
            InstanceId = e.GetString("InstanceId") ?? TableKeys.Unescape(e.PartitionKey),
            Name = e.GetString("Name") ?? string.Empty,
            Status = Enum.TryParse<OrchestrationRuntimeStatus>(e.GetString("RuntimeStatus"), out var s) ? s : OrchestrationRuntimeStatus.Pending,
            ExecutionId = e.GetString("ExecutionId") ?? string.Empty,
            NextExecutionId = e.GetString("NextExecutionId"),
            Started = e.GetBoolean("Started") ?? false,
            Input = e.GetString("Input"),
            InputRef = e.GetString("InputRef"),
            Output = e.GetString("Output"),
            OutputRef = e.GetString("OutputRef"),
            CustomStatus = e.GetString("CustomStatus"),
            Failure = e.GetString("Failure") is { } f ? JsonSerializer.Deserialize<TaskFailureDetails>(f, DurableJson.Options) : null,
            CreatedTime = e.GetDateTimeOffset("CreatedTime") ?? DateTimeOffset.MinValue,
            LastUpdatedTime = e.GetDateTimeOffset("LastUpdatedTime") ?? DateTimeOffset.MinValue,
            ScheduledStartTime = e.GetDateTimeOffset("ScheduledStartTime"),
            Labels = labels,
            TraceParent = e.GetString("TraceParent"),
            Parent = e.GetString("Parent") is { } p ? JsonSerializer.Deserialize<ParentRef>(p, DurableJson.Options) : null,
            Episode = e.GetInt64("Episode") ?? 0,
            HistoryStart = e.GetInt64("HistoryStart") ?? 1,
            LastRow = e.GetInt64("LastRow") ?? 0,
            SentEpisode = e.GetInt64("SentEpisode") ?? 0,
            OpenActivities = e.GetInt32("OpenActivities") ?? 0,
            OpenSubOrchestrations = e.GetInt32("OpenSubOrchestrations") ?? 0,
            NextTimerAt = e.GetDateTimeOffset("NextTimerAt"),
            WaitingFor = e.GetString("WaitingFor"),
        };
    }

    public static string RowKey(long row) => row.ToString("D12", CultureInfo.InvariantCulture);

    /// <summary>Failure details small enough for a table property (stack traces trimmed, depth bounded).</summary>
    public static TaskFailureDetails Trim(TaskFailureDetails f, int depth = 0) => f with
    {
        Message = f.Message.Length > 4000 ? f.Message[..4000] : f.Message,
        StackTrace = f.StackTrace is { Length: > 4000 } st ? st[..4000] : f.StackTrace,
        Inner = f.Inner is null || depth >= 4 ? null : Trim(f.Inner, depth + 1),
    };
}
