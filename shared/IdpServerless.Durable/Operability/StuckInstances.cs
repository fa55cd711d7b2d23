using IdpServerless.Durable.Storage;
using IdpServerless.Hosting.Functions;
using IdpServerless.Storage;
using Microsoft.Extensions.Options;

namespace IdpServerless.Durable;

/// <summary>An instance that should be making progress and is not.</summary>
/// <param name="InstanceId">The instance.</param>
/// <param name="Name">Its orchestrator.</param>
/// <param name="RuntimeStatus">Pending or Running.</param>
/// <param name="LastUpdatedTime">Its last progress.</param>
/// <param name="Reason">Why it counts as stuck.</param>
/// <param name="OpenActivities">Activities scheduled and not finished.</param>
/// <param name="NextTimerAt">Its earliest pending timer.</param>
public sealed record StuckInstance(string InstanceId, string Name, OrchestrationRuntimeStatus RuntimeStatus, DateTimeOffset LastUpdatedTime, string Reason, int OpenActivities, DateTimeOffset? NextTimerAt);

/// <summary>
/// Finds instances with no progress for <see cref="DurableOptions.StuckAfter"/> although they wait for something that
/// should have happened: open activities, a timer long overdue, or a start long overdue. Instances waiting only for
/// external events or sub-orchestrations are idle, not stuck.
/// </summary>
public sealed class StuckInstanceDetector
{
    private readonly TaskHub _hub;
    private readonly TimeProvider _time;

    internal StuckInstanceDetector(TaskHub hub, TimeProvider time)
    {
        _hub = hub;
        _time = time;
    }

    public TimeSpan DefaultThreshold => _hub.Options.StuckAfter;

    public async Task<IReadOnlyList<StuckInstance>> FindAsync(TimeSpan? olderThan = null, int max = 1000, CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        var threshold = olderThan ?? _hub.Options.StuckAfter;
        var cutoff = now - threshold;
        var filter = TableFilter.And(
            TableFilter.Eq("RowKey", InstanceStore.Row),
            TableFilter.Or(TableFilter.Eq("RuntimeStatus", nameof(OrchestrationRuntimeStatus.Running)), TableFilter.Eq("RuntimeStatus", nameof(OrchestrationRuntimeStatus.Pending))),
            TableFilter.Lt("LastUpdatedTime", cutoff));
        var result = new List<StuckInstance>();
        await _hub.EnsureCreatedAsync(ct).ConfigureAwait(false);
        await foreach (var e in _hub.Instances.QueryAsync(filter, ct: ct).ConfigureAwait(false))
        {
            var s = InstanceState.FromEntity(e);
            var reason = s.Status == OrchestrationRuntimeStatus.Pending
                ? ((s.ScheduledStartTime ?? s.CreatedTime) < cutoff ? "its start is overdue" : null)
                : s.OpenActivities > 0 ? $"{s.OpenActivities} activities scheduled, no result since {s.LastUpdatedTime:o}"
                : s.NextTimerAt is { } t && t < cutoff ? $"its timer was due at {t:o}"
                : null;
            if (reason is not null)
            {
                result.Add(new StuckInstance(s.InstanceId, s.Name, s.Status, s.LastUpdatedTime, reason, s.OpenActivities, s.NextTimerAt));
                if (result.Count >= max)
                {
                    break;
                }
            }
        }

        return result;
    }
}

/// <summary>The timer function reporting stuck instances in the logs and the <c>idp_orchestration_stuck_instances</c> gauge.</summary>
internal sealed class StuckInstanceCheck(StuckInstanceDetector detector, ILogger<StuckInstanceCheck> logger) : ITimerHandler
{
    public async Task HandleAsync(TimerContext timer, CancellationToken cancellationToken)
    {
        var stuck = await detector.FindAsync(ct: cancellationToken).ConfigureAwait(false);
        Operability.DurableTelemetry.SetStuck(stuck.Count);
        foreach (var s in stuck.Take(100))
        {
            Operability.Logs.Stuck(logger, s.InstanceId, s.Name, s.RuntimeStatus, s.LastUpdatedTime, s.OpenActivities, s.NextTimerAt);
        }
    }
}
