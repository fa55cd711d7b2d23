using System.Text.Json.Nodes;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Templates.Tasks;

/// <summary>Backstage's task statuses.</summary>
public static class TaskStatuses
{
    public const string Open = "open";
    public const string Processing = "processing";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Open, Processing, Completed, Failed, Cancelled };

    public static bool IsFinished(string status) => status is Completed or Failed or Cancelled;
}

/// <summary>A scaffolder task as stored (its spec lives in a blob).</summary>
public sealed record TaskRecord(
    string Id,
    string Status,
    string TemplateRef,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? LastHeartbeatAt,
    JsonObject? Output,
    string? Error,
    bool CancelRequested,
    int Run,
    StoredCaller Caller);

/// <summary>The creator, kept so later steps (the first deployment) are authorized as them.</summary>
public sealed record StoredCaller(string UserRef, string? DisplayName, string? Email, IReadOnlyList<string> Groups, string Channel)
{
    public static StoredCaller From(Caller caller) => new(caller.UserRef, caller.DisplayName, caller.Email, caller.Groups, caller.Channel);

    public Caller ToCaller() => new(UserRef, DisplayName, Email, Groups, Channel, true);
}

/// <summary>One step's state as shown by <c>GET /tasks/{id}</c>.</summary>
public sealed record StepRecord(int Index, string Id, string Name, string Status, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, JsonObject? Output, string? Message);

/// <summary>One event of a task's log.</summary>
public sealed record TaskEvent(long Id, string TaskId, string Type, JsonObject Body, DateTimeOffset CreatedAt)
{
    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["taskId"] = TaskId,
        ["type"] = Type,
        ["body"] = Body.DeepClone(),
        ["createdAt"] = CreatedAt.ToString("O"),
    };
}
