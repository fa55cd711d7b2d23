using System.Text.Json;
using IdpServerless.Durable;

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
    TaskFailureDetails? FailureDetails)
{
    public static InstanceStatus From(OrchestrationMetadata m) => new(
        m.Name, m.InstanceId, m.RuntimeStatus.ToString(), Parse(m.SerializedInput), Parse(m.SerializedCustomStatus), Parse(m.SerializedOutput),
        m.CreatedTime, m.LastUpdatedTime, m.Labels, m.FailureDetails);

    private static JsonElement? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }
}

/// <summary>A page of instances.</summary>
public sealed record InstancePage(IReadOnlyList<InstanceStatus> Instances, string? ContinuationToken);

/// <summary>One history event as the API shows it.</summary>
public sealed record HistoryEventView(
    string Type, DateTimeOffset Timestamp, int? TaskId, string? Name, JsonElement? Data, TaskFailureDetails? Failure,
    DateTimeOffset? FireAt, string? InstanceId, string? Reason, long Episode, string? Worker)
{
    public static HistoryEventView From(HistoryEvent e)
    {
        JsonElement? data = null;
        if (!string.IsNullOrEmpty(e.Data))
        {
            using var doc = JsonDocument.Parse(e.Data);
            data = doc.RootElement.Clone();
        }

        return new HistoryEventView(e.Type.ToString(), e.Timestamp, e.TaskId, e.Name, data, e.Failure, e.FireAt, e.InstanceId, e.Reason, e.Episode, e.Worker);
    }
}

/// <summary>An instance's history.</summary>
public sealed record InstanceHistory(string InstanceId, IReadOnlyList<HistoryEventView> Events);
