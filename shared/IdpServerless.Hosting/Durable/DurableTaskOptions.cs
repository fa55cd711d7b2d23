namespace IdpServerless.Hosting.Durable;

/// <summary>
/// Settings of the orchestration engine (configuration section <c>Durable</c>): Durable Task on DurableTask.AzureStorage,
/// the provider and task hub layout of Durable Functions. The defaults are the ones measured in <c>docs/benchmarks.md</c>.
/// </summary>
public sealed class DurableTaskOptions
{
    public const string Section = "Durable";

    /// <summary>
    /// The task hub: the prefix of its queues (<c>{hub}-control-NN</c>, <c>{hub}-workitems</c>), tables
    /// (<c>{hub}Instances</c>, <c>{hub}History</c>) and containers. 3-45 letters or digits, starting with a letter; an app
    /// under the Functions host with the same <c>hubName</c> on the same account sees the same instances.
    /// </summary>
    public string TaskHub { get; set; } = "idp";

    /// <summary>Control queues (1-16). Fixed for the life of a task hub: changing it strands messages of running instances.</summary>
    public int PartitionCount { get; set; } = 4;

    /// <summary>
    /// How long a received control-queue message stays hidden. It decides how soon another instance (or this one after a
    /// crash) takes the work over: 30 s gave recovery 33 s after a kill -9; the library's 5-minute default, 301 s.
    /// </summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a received activity work item stays hidden (renewed while the activity runs).</summary>
    public TimeSpan WorkItemQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The ceiling of the idle back-off when polling the queues: the latency of a start or event on an idle app.</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Activities one app instance runs at once.</summary>
    public int MaxConcurrentActivities { get; set; } = 32;

    /// <summary>Orchestration episodes one app instance runs at once.</summary>
    public int MaxConcurrentOrchestrations { get; set; } = 32;

    /// <summary>Keep orchestrations' histories in memory between episodes (saves reads; costs memory per active instance).</summary>
    public bool ExtendedSessions { get; set; }

    /// <summary>How often a worker checks whether partitions are spread evenly (a new instance takes its share after this).</summary>
    public TimeSpan LeaseAcquireInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A Running instance with no progress for this long although it waits for an activity or a due timer is reported as stuck.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>NCRONTAB schedule of the stuck-instance and queue-depth check.</summary>
    public string HealthCheckSchedule { get; set; } = "0 */5 * * * *";

    internal void Validate()
    {
        if (TaskHub.Length is < 3 or > 45 || !char.IsAsciiLetter(TaskHub[0]) || !TaskHub.All(char.IsAsciiLetterOrDigit))
        {
            throw new InvalidOperationException($"Durable:TaskHub '{TaskHub}' must be 3-45 letters or digits, starting with a letter.");
        }

        if (PartitionCount is < 1 or > 16)
        {
            throw new InvalidOperationException("Durable:PartitionCount must be 1..16.");
        }

        if (MaxConcurrentActivities < 1 || MaxConcurrentOrchestrations < 1)
        {
            throw new InvalidOperationException("Durable:MaxConcurrentActivities and MaxConcurrentOrchestrations must be at least 1.");
        }

        if (ControlQueueVisibilityTimeout < TimeSpan.FromSeconds(10) || WorkItemQueueVisibilityTimeout < TimeSpan.FromSeconds(10))
        {
            throw new InvalidOperationException("Durable:ControlQueueVisibilityTimeout and WorkItemQueueVisibilityTimeout must be at least 10 s (a message must not reappear while its work runs).");
        }

        if (MaxQueuePollingInterval <= TimeSpan.Zero || MaxQueuePollingInterval > TimeSpan.FromMinutes(1))
        {
            throw new InvalidOperationException("Durable:MaxQueuePollingInterval must be more than 0 and at most 1 minute.");
        }

        if (LeaseAcquireInterval < TimeSpan.FromSeconds(1) || LeaseAcquireInterval > TimeSpan.FromMinutes(1))
        {
            throw new InvalidOperationException("Durable:LeaseAcquireInterval must be 1 s to 1 minute.");
        }
    }
}
