using System.Security.Cryptography;
using System.Text;

namespace IdpServerless.Durable.Runtime;

/// <summary>Kinds of durable steps an orchestrator schedules.</summary>
internal enum StepKind
{
    Activity,
    Timer,
    SubOrchestration,
}

/// <summary>One durable step scheduled by the orchestrator in this execution.</summary>
internal sealed class Step(int taskId, StepKind kind, string name)
{
    public int TaskId { get; } = taskId;

    public StepKind Kind { get; } = kind;

    public string Name { get; } = name;

    public TaskCompletionSource<string?> Completion { get; } = new();

    /// <summary>Its scheduling event is in the history (replayed or appended this episode).</summary>
    public bool Confirmed { get; set; }

    /// <summary>A completion for it has been recorded (possibly deferred while suspended).</summary>
    public bool CompletionSeen { get; set; }

    public string? Input { get; init; }

    public int Attempt { get; init; } = 1;

    public string? IdempotencyKey { get; init; }

    public DateTimeOffset? FireAt { get; init; }

    public string? ChildInstanceId { get; init; }

    public string? ChildExecutionId { get; init; }

    public static string Describe(StepKind kind) => kind switch
    {
        StepKind.Activity => "activity",
        StepKind.Timer => "timer",
        _ => "sub-orchestration",
    };
}

/// <summary>What one episode produced.</summary>
internal sealed record EpisodeResult
{
    public required List<Storage.StoredEvent> Appended { get; init; }

    public required OrchestrationRuntimeStatus Status { get; init; }

    public bool Started { get; init; }

    public string? Output { get; init; }

    public TaskFailureDetails? Failure { get; init; }

    public string? CustomStatus { get; init; }

    public bool CustomStatusChanged { get; init; }

    public int OpenActivities { get; init; }

    public int OpenSubOrchestrations { get; init; }

    public DateTimeOffset? NextTimerAt { get; init; }

    public string? WaitingFor { get; init; }

    /// <summary>Events the orchestrator code re-executed (replay work, for metrics).</summary>
    public int ReplayedEvents { get; init; }

    /// <summary>Sub-orchestrations still running (terminated along with the parent).</summary>
    public IReadOnlyList<(string InstanceId, string ExecutionId)> OpenChildren { get; init; } = [];
}

/// <summary>Name-based GUIDs (SHA-256, RFC 9562 version 8): the same name gives the same GUID in every process and replay.</summary>
internal static class DeterministicGuid
{
    private static readonly byte[] Namespace = Guid.Parse("9e2a3f4b-6d1c-4c8e-9a57-1d2b3c4d5e6f").ToByteArray(bigEndian: true);

    public static Guid Create(string name)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var buffer = new byte[Namespace.Length + nameBytes.Length];
        Namespace.CopyTo(buffer, 0);
        nameBytes.CopyTo(buffer, Namespace.Length);
        var hash = SHA256.HashData(buffer);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>The execution that follows <paramref name="executionId"/> after ContinueAsNew.</summary>
    public static string NextExecution(string instanceId, string executionId) => Create($"{instanceId}|{executionId}|continue").ToString("N");

    /// <summary>The execution id of the child started by step <paramref name="taskId"/>.</summary>
    public static string ChildExecution(string instanceId, string executionId, int taskId) => Create($"{instanceId}|{executionId}|child|{taskId}").ToString("N");
}
