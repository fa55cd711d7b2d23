using Microsoft.DurableTask.Client;

namespace IdpServerless.Hosting.Durable;

/// <summary>The instance does not exist.</summary>
public sealed class OrchestrationNotFoundException(string instanceId) : Exception($"No orchestration instance '{instanceId}'.")
{
    public string InstanceId { get; } = instanceId;
}

/// <summary>The instance has finished (Completed, Failed or Terminated) and takes no more events or controls.</summary>
public sealed class OrchestrationFinishedException(string instanceId, OrchestrationRuntimeStatus status) : Exception($"Orchestration instance '{instanceId}' has finished ({status}).")
{
    public string InstanceId { get; } = instanceId;

    public OrchestrationRuntimeStatus Status { get; } = status;
}

/// <summary>An instance with the id exists and has not finished.</summary>
public sealed class OrchestrationAlreadyRunningException(string instanceId, Exception? inner = null) : Exception($"Orchestration instance '{instanceId}' exists and has not finished.", inner)
{
    public string InstanceId { get; } = instanceId;
}

/// <summary>The instance is still Pending, Running or Suspended, so it cannot be purged.</summary>
public sealed class OrchestrationNotFinishedException(string instanceId, OrchestrationRuntimeStatus status) : Exception($"Orchestration instance '{instanceId}' is {status}.")
{
    public string InstanceId { get; } = instanceId;

    public OrchestrationRuntimeStatus Status { get; } = status;
}

/// <summary>Helpers on <see cref="OrchestrationRuntimeStatus"/>.</summary>
public static class OrchestrationRuntimeStatusExtensions
{
    /// <summary>Completed, Failed or Terminated: the instance takes no more work.</summary>
    public static bool IsFinished(this OrchestrationRuntimeStatus status) =>
        status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;
}

/// <summary>A control an operator sends an instance.</summary>
public enum OrchestrationControl
{
    Terminate,
    Suspend,
    Resume,
}

/// <summary>What instance ids the app accepts from callers: 1-100 of <c>A-Z a-z 0-9 - _ . : @</c> (safe in table keys, queue messages and URLs).</summary>
public static class InstanceIds
{
    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 100 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@');
}
