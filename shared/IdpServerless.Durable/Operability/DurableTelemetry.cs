using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using IdpServerless.Hosting.Observability;

namespace IdpServerless.Durable.Operability;

/// <summary>
/// The engine's metrics on the app's meter (<see cref="FunctionTelemetry.Meter"/>, scraped at <c>/metrics</c>) and its
/// spans on the app's activity source. Every episode and every activity call is a span in the trace whose id is stored
/// with the instance (<see cref="OrchestrationMetadata.TraceParent"/>), so an orchestration and its activities read as one trace.
/// </summary>
internal static class DurableTelemetry
{
    private static readonly Counter<long> Started = FunctionTelemetry.Meter.CreateCounter<long>("idp_orchestrations_started", description: "Orchestration executions started, by orchestrator.");
    private static readonly Counter<long> Completed = FunctionTelemetry.Meter.CreateCounter<long>("idp_orchestrations_completed", description: "Orchestrations that finished, by orchestrator and status (Completed, Failed, Terminated).");
    private static readonly Counter<long> Failed = FunctionTelemetry.Meter.CreateCounter<long>("idp_orchestrations_failed", description: "Orchestrations that failed, by orchestrator.");
    private static readonly Counter<long> Episodes = FunctionTelemetry.Meter.CreateCounter<long>("idp_orchestration_episodes", description: "Orchestration episodes committed.");
    private static readonly Counter<long> Replays = FunctionTelemetry.Meter.CreateCounter<long>("idp_orchestration_replays", description: "Episodes that replayed history, by orchestrator.");
    private static readonly Counter<long> ReplayedEvents = FunctionTelemetry.Meter.CreateCounter<long>("idp_orchestration_replayed_events", description: "History events replayed.");
    private static readonly Counter<long> Conflicts = FunctionTelemetry.Meter.CreateCounter<long>("idp_orchestration_conflicts", description: "Episodes that lost the history ETag race and were retried.");
    private static readonly Histogram<double> ActivityLatency = FunctionTelemetry.Meter.CreateHistogram<double>("idp_activity_duration", unit: "s", description: "Activity execution time, by activity and outcome.");
    private static readonly Histogram<double> EpisodeLatency = FunctionTelemetry.Meter.CreateHistogram<double>("idp_orchestration_episode_duration", unit: "s", description: "Episode time from load to commit.");
    private static readonly ConcurrentDictionary<string, long> Depths = new(StringComparer.Ordinal);
    private static long _stuck;

    static DurableTelemetry()
    {
        FunctionTelemetry.Meter.CreateObservableGauge("idp_orchestration_queue_depth", ObserveDepths, description: "Approximate messages in the engine's queues.");
        FunctionTelemetry.Meter.CreateObservableGauge("idp_orchestration_stuck_instances", () => Interlocked.Read(ref _stuck), description: "Running instances with open work and no progress (last check).");
    }

    public static void RecordStarted(string name) => Started.Add(1, new TagList { { "orchestrator", name } });

    public static void RecordFinished(string name, OrchestrationRuntimeStatus status)
    {
        Completed.Add(1, new TagList { { "orchestrator", name }, { "status", status.ToString() } });
        if (status == OrchestrationRuntimeStatus.Failed)
        {
            Failed.Add(1, new TagList { { "orchestrator", name } });
        }
    }

    public static void RecordEpisode(string name, int replayedEvents, TimeSpan elapsed)
    {
        Episodes.Add(1);
        EpisodeLatency.Record(elapsed.TotalSeconds);
        if (replayedEvents > 0)
        {
            Replays.Add(1, new TagList { { "orchestrator", name } });
            ReplayedEvents.Add(replayedEvents);
        }
    }

    public static void RecordConflict() => Conflicts.Add(1);

    public static void RecordActivity(string name, bool succeeded, TimeSpan elapsed) =>
        ActivityLatency.Record(elapsed.TotalSeconds, new TagList { { "activity", name }, { "outcome", succeeded ? "success" : "failure" } });

    public static void SetDepth(string queue, long depth) => Depths[queue] = depth;

    public static void SetStuck(long count) => Interlocked.Exchange(ref _stuck, count);

    /// <summary>A span continuing the orchestration's trace (<paramref name="traceParent"/>), or a root when it has none.</summary>
    public static Activity? StartSpan(string name, ActivityKind kind, string? traceParent)
    {
        System.Diagnostics.ActivityContext.TryParse(traceParent, null, out var parent);
        return FunctionTelemetry.Source.StartActivity(name, kind, parent);
    }

    /// <summary>A traceparent for a new instance: the caller's trace when there is one, else a fresh trace id.</summary>
    public static string NewTraceParent()
    {
        var current = Activity.Current;
        var traceId = current?.TraceId ?? ActivityTraceId.CreateRandom();
        var spanId = current?.SpanId ?? ActivitySpanId.CreateRandom();
        return $"00-{traceId.ToHexString()}-{spanId.ToHexString()}-01";
    }

    private static IEnumerable<Measurement<long>> ObserveDepths() =>
        Depths.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("queue", d.Key)));
}
