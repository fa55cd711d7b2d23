using System.Text.Json;
using DurableTask.Core.History;
using IdpServerless.Hosting.Durable;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace IdpServerless.Functions.Orchestration;

/// <summary>The start response: where to poll and how to control the instance (Durable Functions' shape).</summary>
public sealed record ManagementPayload(
    string Id,
    string StatusQueryGetUri,
    string SendEventPostUri,
    string TerminatePostUri,
    string PurgeHistoryDeleteUri,
    string SuspendPostUri,
    string ResumePostUri)
{
    public static ManagementPayload For(HttpRequest request, string instanceId)
    {
        var status = InstanceUri(request, instanceId);
        return new ManagementPayload(
            instanceId,
            status,
            status + "/raiseEvent/{eventName}",
            status + "/terminate?reason={text}",
            status,
            status + "/suspend?reason={text}",
            status + "/resume?reason={text}");
    }

    public static string InstanceUri(HttpRequest request, string instanceId) =>
        $"{request.Scheme}://{request.Host}{request.PathBase}/api/orchestrations/instances/{Uri.EscapeDataString(instanceId)}";
}

/// <summary>Why an activity, sub-orchestration or orchestration failed, as the engine recorded it.</summary>
/// <param name="ErrorType">The exception's full type name.</param>
/// <param name="Message">Its message.</param>
/// <param name="StackTrace">Where it was thrown, when known.</param>
/// <param name="Inner">The inner failure, if any.</param>
public sealed record FailureView(string ErrorType, string Message, string? StackTrace, FailureView? Inner)
{
    public static FailureView? From(TaskFailureDetails? d) =>
        d is null ? null : new FailureView(d.ErrorType, d.ErrorMessage, d.StackTrace, From(d.InnerFailure));

    public static FailureView? From(global::DurableTask.Core.FailureDetails? d) =>
        d is null ? null : new FailureView(d.ErrorType, d.ErrorMessage, d.StackTrace, From(d.InnerFailure));
}

/// <summary>An instance's status. Input, output and custom status are the JSON values themselves.</summary>
public sealed record InstanceStatus(
    string Name,
    string InstanceId,
    string RuntimeStatus,
    JsonElement? Input,
    JsonElement? CustomStatus,
    JsonElement? Output,
    DateTimeOffset CreatedTime,
    DateTimeOffset LastUpdatedTime,
    IReadOnlyDictionary<string, string> Labels,
    FailureView? FailureDetails)
{
    public static InstanceStatus From(OrchestrationMetadata m, IReadOnlyDictionary<string, string> labels, TaskFailureDetails? failure) => new(
        m.Name, m.InstanceId, m.RuntimeStatus.ToString(), Json.Value(m.SerializedInput), Json.Value(m.SerializedCustomStatus), Json.Value(m.SerializedOutput),
        m.CreatedAt, m.LastUpdatedAt, labels, FailureView.From(failure));
}

/// <summary>A page of instances.</summary>
public sealed record InstancePage(IReadOnlyList<InstanceStatus> Instances, string? ContinuationToken);

/// <summary>
/// One history event as the API shows it, named as Durable Task names it (<c>ExecutionStarted</c>, <c>TaskScheduled</c>,
/// <c>TaskCompleted</c>, <c>TimerCreated</c>, <c>EventRaised</c>, ...). <see cref="TaskId"/> links a completion to what it completes.
/// </summary>
public sealed record HistoryEventView(
    string Type, DateTimeOffset Timestamp, int? TaskId, string? Name, JsonElement? Data, FailureView? Failure,
    DateTimeOffset? FireAt, string? InstanceId, string? Reason)
{
    public static HistoryEventView From(HistoryEvent e)
    {
        var view = new HistoryEventView(e.EventType.ToString(), Utc(e.Timestamp), null, null, null, null, null, null, null);
        return e switch
        {
            ExecutionStartedEvent s => view with { Name = s.Name, Data = Json.Value(s.Input) },
            ContinueAsNewEvent c => view with { Data = Json.Value(c.Result) },
            ExecutionCompletedEvent c => view with { Data = Json.Value(c.Result), Failure = FailureView.From(c.FailureDetails), Reason = c.OrchestrationStatus.ToString() },
            ExecutionTerminatedEvent t => view with { Reason = t.Input },
            ExecutionSuspendedEvent s => view with { Reason = s.Reason },
            ExecutionResumedEvent r => view with { Reason = r.Reason },
            TaskScheduledEvent s => view with { TaskId = s.EventId, Name = s.Name, Data = Json.Value(s.Input) },
            TaskCompletedEvent c => view with { TaskId = c.TaskScheduledId, Data = Json.Value(c.Result) },
            TaskFailedEvent f => view with { TaskId = f.TaskScheduledId, Failure = FailureView.From(f.FailureDetails) ?? new FailureView("unknown", f.Reason ?? "failed", f.Details, null) },
            TimerCreatedEvent t => view with { TaskId = t.EventId, FireAt = Utc(t.FireAt) },
            TimerFiredEvent f => view with { TaskId = f.TimerId, FireAt = Utc(f.FireAt) },
            SubOrchestrationInstanceCreatedEvent s => view with { TaskId = s.EventId, Name = s.Name, InstanceId = s.InstanceId, Data = Json.Value(s.Input) },
            SubOrchestrationInstanceCompletedEvent c => view with { TaskId = c.TaskScheduledId, Data = Json.Value(c.Result) },
            SubOrchestrationInstanceFailedEvent f => view with { TaskId = f.TaskScheduledId, Failure = FailureView.From(f.FailureDetails) ?? new FailureView("unknown", f.Reason ?? "failed", f.Details, null) },
            EventRaisedEvent r => view with { Name = r.Name, Data = Json.Value(r.Input) },
            EventSentEvent s => view with { Name = s.Name, InstanceId = s.InstanceId, Data = Json.Value(s.Input) },
            _ => view,
        };
    }

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}

/// <summary>An instance's history.</summary>
public sealed record InstanceHistory(string InstanceId, IReadOnlyList<HistoryEventView> Events);

internal static class Json
{
    /// <summary>The JSON value of <paramref name="text"/>; text that is not JSON is kept as a string.</summary>
    public static JsonElement? Value(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(text);
        }
    }
}
