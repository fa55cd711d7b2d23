namespace IdpServerless.Durable.Operability;

/// <summary>The engine's log messages (event ids 4000-4099). Payloads are never logged: they may carry secrets.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Orchestration {InstanceId} ({Name}) is {Status}.")]
    public static partial void InstanceFinished(ILogger logger, string instanceId, string name, OrchestrationRuntimeStatus status);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Orchestration {InstanceId} failed: {ErrorType}: {Message}")]
    public static partial void InstanceFailed(ILogger logger, string instanceId, string errorType, string message);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Orchestration {InstanceId} was advanced by another writer; reloading (attempt {Attempt}).")]
    public static partial void Conflict(ILogger logger, string instanceId, int attempt);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Episode of {InstanceId} failed; its messages will be delivered again: {Error}")]
    public static partial void EpisodeFailed(ILogger logger, string instanceId, string error);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Dropped malformed message {MessageId} from {Queue}: {Error}")]
    public static partial void Malformed(ILogger logger, string messageId, string queue, string error);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Worker {Worker} acquired control partition {Partition}.")]
    public static partial void PartitionAcquired(ILogger logger, string worker, int partition);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Worker {Worker} released control partition {Partition} ({Why}).")]
    public static partial void PartitionReleased(ILogger logger, string worker, int partition, string why);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Control partition loop {Partition} failed ({Status}): {Error}")]
    public static partial void PartitionLoopFailed(ILogger logger, int partition, int status, string error);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "Stuck orchestration {InstanceId} ({Name}): {Status}, last progress {LastUpdated:o}, {OpenActivities} open activities, next timer {NextTimerAt:o}.")]
    public static partial void Stuck(ILogger logger, string instanceId, string name, OrchestrationRuntimeStatus status, DateTimeOffset lastUpdated, int openActivities, DateTimeOffset? nextTimerAt);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Activity {Activity} of {InstanceId} failed (attempt {Attempt}): {ErrorType}")]
    public static partial void ActivityFailed(ILogger logger, string activity, string instanceId, int attempt, string errorType);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "Could not update the status row of {InstanceId}; it is refreshed on its next episode: {Error}")]
    public static partial void ProjectionFailed(ILogger logger, string instanceId, string error);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Warning, Message = "Partition lease housekeeping failed: {Error}")]
    public static partial void LeaseHousekeepingFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Debug, Message = "Dropped {Count} stale or duplicate messages for {InstanceId}.")]
    public static partial void Dropped(ILogger logger, int count, string instanceId);
}
