using System.Diagnostics.Metrics;
using DurableTask.Core.History;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Observability;
using IdpServerless.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdpServerless.Hosting.Durable;

/// <summary>An instance that should be making progress and is not.</summary>
/// <param name="InstanceId">The instance.</param>
/// <param name="Name">Its orchestrator.</param>
/// <param name="RuntimeStatus">Pending or Running.</param>
/// <param name="LastUpdatedTime">Its last progress.</param>
/// <param name="Reason">Why it counts as stuck.</param>
/// <param name="OpenActivities">Activities scheduled and not finished.</param>
/// <param name="NextTimerAt">Its earliest pending timer.</param>
public sealed record StuckInstance(string InstanceId, string Name, string RuntimeStatus, DateTimeOffset LastUpdatedTime, string Reason, int OpenActivities, DateTimeOffset? NextTimerAt);

/// <summary>
/// Finds instances with no progress for <see cref="DurableTaskOptions.StuckAfter"/> although they wait for something that
/// should have happened: open activities, a timer long overdue, or a start long overdue. Instances waiting only for
/// external events or sub-orchestrations are idle, not stuck. Reads the history only of instances idle past the threshold.
/// </summary>
public sealed class StuckInstanceDetector(DurableTaskClient client, IOptions<DurableTaskOptions> options, TimeProvider time)
{
    public TimeSpan DefaultThreshold => options.Value.StuckAfter;

    public async Task<IReadOnlyList<StuckInstance>> FindAsync(TimeSpan? olderThan = null, int max = 1000, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var cutoff = now - (olderThan ?? options.Value.StuckAfter);
        var query = new OrchestrationQuery
        {
            Statuses = [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Pending],
            PageSize = 500,
            FetchInputsAndOutputs = false,
        };
        var result = new List<StuckInstance>();
        await foreach (var m in client.GetAllInstancesAsync(query).WithCancellation(ct).ConfigureAwait(false))
        {
            if (m.LastUpdatedAt >= cutoff)
            {
                continue;
            }

            string? reason;
            var open = 0;
            DateTimeOffset? nextTimer = null;
            if (m.RuntimeStatus == OrchestrationRuntimeStatus.Pending)
            {
                reason = "its start is overdue";
            }
            else
            {
                (open, nextTimer) = Waiting(await client.GetOrchestrationHistoryAsync(m.InstanceId, ct).ConfigureAwait(false));
                reason = open > 0 ? $"{open} activities scheduled, no result since {m.LastUpdatedAt:o}"
                    : nextTimer is { } t && t < cutoff ? $"its timer was due at {t:o}"
                    : null;
            }

            if (reason is not null)
            {
                result.Add(new StuckInstance(m.InstanceId, m.Name, m.RuntimeStatus.ToString(), m.LastUpdatedAt, reason, open, nextTimer));
                if (result.Count >= max)
                {
                    break;
                }
            }
        }

        return result;
    }

    /// <summary>Instances that failed within <paramref name="window"/> (their last update; those created up to a week before).</summary>
    public async Task<long> CountFailedAsync(TimeSpan window, CancellationToken ct)
    {
        var since = time.GetUtcNow() - window;
        var query = new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Failed], CreatedFrom = since - TimeSpan.FromDays(7), PageSize = 500 };
        long count = 0;
        await foreach (var m in client.GetAllInstancesAsync(query).WithCancellation(ct).ConfigureAwait(false))
        {
            count += m.LastUpdatedAt >= since ? 1 : 0;
        }

        return count;
    }

    /// <summary>Activities scheduled without a result, and the earliest timer not yet fired.</summary>
    internal static (int OpenActivities, DateTimeOffset? NextTimerAt) Waiting(IEnumerable<HistoryEvent> history)
    {
        var scheduled = new HashSet<int>();
        var timers = new Dictionary<int, DateTime>();
        foreach (var e in history)
        {
            switch (e)
            {
                case TaskScheduledEvent s:
                    scheduled.Add(s.EventId);
                    break;
                case TaskCompletedEvent c:
                    scheduled.Remove(c.TaskScheduledId);
                    break;
                case TaskFailedEvent f:
                    scheduled.Remove(f.TaskScheduledId);
                    break;
                case TimerCreatedEvent t:
                    timers[t.EventId] = t.FireAt;
                    break;
                case TimerFiredEvent fired:
                    timers.Remove(fired.TimerId);
                    break;
            }
        }

        return (scheduled.Count, timers.Count == 0 ? null : new DateTimeOffset(DateTime.SpecifyKind(timers.Values.Min(), DateTimeKind.Utc)));
    }
}

/// <summary>
/// The timer function reporting stuck instances in the logs and the <c>idp_orchestration_stuck_instances</c> gauge, and the
/// task hub's queue lengths in <c>idp_orchestration_queue_depth</c> (what Azure's scale controller scales on).
/// </summary>
public sealed class OrchestrationHealthCheck(StuckInstanceDetector detector, StorageClient storage, IOptions<DurableTaskOptions> options, ILogger<OrchestrationHealthCheck> logger) : ITimerHandler
{
    public const string Name = "DurableHealthCheck";
    private static readonly Dictionary<string, long> Depths = new(StringComparer.Ordinal);
    private static long _stuck;
    private static long _failed;

    static OrchestrationHealthCheck()
    {
        FunctionTelemetry.Meter.CreateObservableGauge("idp_orchestration_failed_instances", () => Interlocked.Read(ref _failed), description: "Instances that failed in the last 24 hours (last check).");
        FunctionTelemetry.Meter.CreateObservableGauge("idp_orchestration_queue_depth", ObserveDepths, description: "Approximate messages in the task hub's control and work-item queues (last check).");
        FunctionTelemetry.Meter.CreateObservableGauge("idp_orchestration_stuck_instances", () => Interlocked.Read(ref _stuck), description: "Running instances with open work and no progress (last check).");
    }

    public async Task HandleAsync(TimerContext timer, CancellationToken cancellationToken)
    {
        var hub = options.Value.TaskHub.ToLowerInvariant();
        var queues = Enumerable.Range(0, options.Value.PartitionCount).Select(p => $"{hub}-control-{p:D2}").Append($"{hub}-workitems");
        foreach (var q in queues)
        {
            try
            {
                var properties = await storage.QueueService.GetQueueClient(q).GetPropertiesAsync(cancellationToken).ConfigureAwait(false);
                lock (Depths)
                {
                    Depths[q] = properties.Value.ApproximateMessagesCount;
                }
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404)
            {
                // The hub is created by the first worker that starts.
            }
        }

        Interlocked.Exchange(ref _failed, await detector.CountFailedAsync(TimeSpan.FromHours(24), cancellationToken).ConfigureAwait(false));
        var stuck = await detector.FindAsync(ct: cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _stuck, stuck.Count);
        foreach (var s in stuck.Take(100))
        {
            Logs.Stuck(logger, s.InstanceId, s.Name, s.RuntimeStatus, s.LastUpdatedTime, s.Reason);
        }
    }

    private static IEnumerable<Measurement<long>> ObserveDepths()
    {
        lock (Depths)
        {
            return Depths.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("queue", d.Key))).ToList();
        }
    }
}

internal static partial class Logs
{
    [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Orchestration {InstanceId} ({Name}) is stuck: {Status} since {LastUpdated:o}, {Reason}")]
    public static partial void Stuck(ILogger logger, string instanceId, string name, string status, DateTimeOffset lastUpdated, string reason);
}
