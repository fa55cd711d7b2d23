namespace IdpServerless.Durable;

/// <summary>Settings of the orchestration engine (configuration section <c>Durable</c>).</summary>
public sealed class DurableOptions
{
    public const string Section = "Durable";

    /// <summary>
    /// Prefix of every table, queue and container of the engine (3-20 lowercase letters/digits, starting with a
    /// letter). Apps sharing a storage account with different hubs do not see each other's instances.
    /// </summary>
    public string TaskHub { get; set; } = "idp";

    /// <summary>
    /// Control queues; instances are spread over them by a hash of their id. Fixed for the life of a task hub:
    /// changing it strands messages of running instances.
    /// </summary>
    public int PartitionCount { get; set; } = 4;

    /// <summary>Activities one app instance runs at once.</summary>
    public int MaxConcurrentActivities { get; set; } = 32;

    /// <summary>
    /// Activity calls of one episode carried by one work item (run in parallel by one app instance, results reported in
    /// one message): fewer queue operations per activity for fan-outs; 1 spreads every call on its own.
    /// </summary>
    public int MaxActivitiesPerWorkItem { get; set; } = 8;

    /// <summary>Orchestration episodes one app instance runs at once.</summary>
    public int MaxConcurrentOrchestrations { get; set; } = 32;

    /// <summary>
    /// Keep instances' histories in memory between episodes (validated by the history's ETag on every commit), so a
    /// warm instance costs no reads. Instances kept: <see cref="MaxCachedInstances"/>.
    /// </summary>
    public bool ExtendedSessions { get; set; } = true;

    public int MaxCachedInstances { get; set; } = 20_000;

    /// <summary>Lease on a control-queue partition (standalone mode); a crashed owner's partitions move after this.</summary>
    public TimeSpan PartitionLeaseDuration { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long received control messages stay hidden while their episode runs.</summary>
    public TimeSpan ControlVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a received work item stays hidden (renewed while the activity runs).</summary>
    public TimeSpan ActivityVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Idle polling ceiling of the control queues (standalone mode).</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Payloads (inputs, outputs, results, event data) longer than this many characters go to blobs.</summary>
    public int MaxInlinePayloadChars { get; set; } = 24 * 1024;

    /// <summary>A Running instance with open work and no progress for this long is reported as stuck.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>NCRONTAB schedule of the stuck-instance check.</summary>
    public string StuckCheckSchedule { get; set; } = "0 */5 * * * *";

    /// <summary>
    /// Record on the history when an episode's messages were sent, so another app instance loading the history does
    /// not send them again. Costs one write per episode; on by default in custom-handler mode, where any instance may
    /// receive any message.
    /// </summary>
    public bool? MarkMessagesSent { get; set; }

    internal void Validate()
    {
        if (TaskHub.Length is < 3 or > 20 || !char.IsAsciiLetterLower(TaskHub[0]) || !TaskHub.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            throw new InvalidOperationException($"Durable:TaskHub '{TaskHub}' must be 3-20 lowercase letters or digits, starting with a letter.");
        }

        if (PartitionCount is < 1 or > 16)
        {
            throw new InvalidOperationException("Durable:PartitionCount must be 1..16.");
        }

        if (MaxConcurrentActivities < 1 || MaxConcurrentOrchestrations < 1)
        {
            throw new InvalidOperationException("Durable:MaxConcurrentActivities and MaxConcurrentOrchestrations must be at least 1.");
        }

        if (MaxActivitiesPerWorkItem is < 1 or > 100)
        {
            throw new InvalidOperationException("Durable:MaxActivitiesPerWorkItem must be 1..100.");
        }

        if (PartitionLeaseDuration < TimeSpan.FromSeconds(15) || PartitionLeaseDuration > TimeSpan.FromSeconds(60))
        {
            throw new InvalidOperationException("Durable:PartitionLeaseDuration must be 15-60 s.");
        }

        if (MaxInlinePayloadChars is < 1024 or > 30_000)
        {
            throw new InvalidOperationException("Durable:MaxInlinePayloadChars must be 1024..30000 (a table string holds 32K characters).");
        }
    }
}
