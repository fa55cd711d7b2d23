using System.Diagnostics;
using IdpServerless.Durable.Operability;
using IdpServerless.Durable.Runtime;
using IdpServerless.Durable.Storage;
using IdpServerless.Hosting.Configuration;
using Microsoft.Extensions.Options;

namespace IdpServerless.Durable.Engine;

/// <summary>
/// Advances one instance by one episode for a batch of its control messages. Order of a checkpoint:
/// (1) append the episode's events and the new state in one ETag-guarded transaction on the history partition,
/// (2) send the messages that follow from those events and update the status row,
/// (3) only then may the caller delete the consumed messages.
/// A crash after (1) redelivers the consumed messages: they are recognised as already in the history, and because the
/// history was loaded cold, the last episode's messages are derived and sent again (receivers ignore duplicates).
/// A crash before (1) leaves no trace at all. Two processes can never both commit the same episode: one loses the
/// ETag race, reloads and retries.
/// </summary>
internal sealed class EpisodeProcessor(
    HistoryStore history,
    InstanceStore instances,
    PayloadStore payloads,
    MessageSender sender,
    DurableRegistry registry,
    SessionCache cache,
    IServiceScopeFactory scopes,
    ILoggerFactory loggers,
    TimeProvider time,
    DurableHostMode app,
    IOptions<DurableOptions> options,
    ILogger<EpisodeProcessor> logger)
{
    private const int MaxConflicts = 8;
    private readonly bool _markSent = options.Value.MarkMessagesSent ?? app.Mode == HostingMode.CustomHandler;

    /// <summary>Handles <paramref name="messages"/> (all for <paramref name="instanceId"/>); when it returns they may be deleted.</summary>
    public async Task ProcessAsync(string instanceId, IReadOnlyList<ControlMessage> messages, CancellationToken ct)
    {
        var due = new List<ControlMessage>(messages.Count);
        var now = time.GetUtcNow();
        foreach (var m in messages)
        {
            if (m.NotBefore is { } notBefore && notBefore - now > TimeSpan.FromSeconds(1))
            {
                // A timer (or scheduled start) beyond the queue's 7-day visibility: hop again.
                await sender.SendControlAsync(m, notBefore - now, ct).ConfigureAwait(false);
            }
            else
            {
                due.Add(m);
            }
        }

        for (var attempt = 1; ; attempt++)
        {
            var session = cache.Take(instanceId) ?? await LoadAsync(instanceId, ct).ConfigureAwait(false);
            try
            {
                await RunAsync(session, due, ct).ConfigureAwait(false);
                if (options.Value.ExtendedSessions)
                {
                    cache.Put(session);
                }

                return;
            }
            catch (HistoryConflictException) when (attempt < MaxConflicts)
            {
                DurableTelemetry.RecordConflict();
                Logs.Conflict(logger, instanceId, attempt);
            }
        }
    }

    private async Task<InstanceSession> LoadAsync(string instanceId, CancellationToken ct)
    {
        var loaded = await history.LoadAsync(instanceId, ct).ConfigureAwait(false);
        var session = new InstanceSession(instanceId) { State = loaded.State, ETag = loaded.ETag };
        if (loaded.State is { } state)
        {
            session.Events = loaded.Episodes.SelectMany(e => e.Events).ToList();
            session.LastEpisode = loaded.Episodes.Count > 0 ? loaded.Episodes[^1].Events.ToList() : [];
            session.OutboxUncertain = state.SentEpisode < state.Episode;
        }

        return session;
    }

    private async Task RunAsync(InstanceSession session, IReadOnlyList<ControlMessage> messages, CancellationToken ct)
    {
        var startedAt = time.GetUtcNow();
        var clock = Stopwatch.GetTimestamp();
        if (session.OutboxUncertain)
        {
            await FinishEpisodeAsync(session, ct).ConfigureAwait(false);
        }

        if (messages.Count == 0)
        {
            return;
        }

        var instanceId = session.InstanceId;
        var triage = await MessageTriage.SortAsync(session.State, messages, e => IsStartExpectedAsync(session, e, messages, ct)).ConfigureAwait(false);
        foreach (var deferred in triage.Deferred)
        {
            await sender.SendControlAsync(deferred, TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
        }

        if (triage.Dropped > 0)
        {
            Logs.Dropped(logger, triage.Dropped, instanceId);
        }

        if (triage.Incoming.Count == 0)
        {
            return;
        }

        var (baseState, past) = BaseFor(session, triage, startedAt);
        var map = new Dictionary<StoredEvent, StoredEvent>(ReferenceEqualityComparer.Instance);
        var resolvedPast = await ResolveAsync(session, past, null, ct).ConfigureAwait(false);
        var resolvedIncoming = await ResolveAsync(session, triage.Incoming, map, ct).ConfigureAwait(false);

        await using var scope = scopes.CreateAsyncScope();
        var type = registry.FindOrchestrator(baseState.Name);
        var function = type is null ? null : (IOrchestratorFunction)ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
        using var span = DurableTelemetry.StartSpan($"orchestration {baseState.Name}", ActivityKind.Internal, baseState.TraceParent);
        span?.SetTag("idp.orchestration.instance_id", instanceId);
        span?.SetTag("idp.orchestration.episode", baseState.Episode + 1);
        var now = time.GetUtcNow();
        var runner = new OrchestrationRunner(instanceId, baseState.ExecutionId, baseState.Name, function, loggers);
        var result = runner.Run(resolvedPast, resolvedIncoming, now, baseState.CustomStatus);
        if (result.Appended.Count <= 1 && triage.NewExecution is null)
        {
            return; // Only duplicates: nothing to record.
        }

        var stored = new List<StoredEvent>(result.Appended.Count);
        foreach (var e in result.Appended)
        {
            stored.Add(map.TryGetValue(e, out var original) ? original : await payloads.OffloadAsync(instanceId, e, ct).ConfigureAwait(false));
        }

        var newState = await NextStateAsync(baseState, result, stored, now, ct).ConfigureAwait(false);
        var row = new EpisodeRow(newState.LastRow, newState.Episode, newState.ExecutionId, TaskHub.WorkerName, startedAt, time.GetUtcNow(), stored);
        var etag = await history.CommitAsync(newState, session.ETag, row, ct).ConfigureAwait(false);

        var previous = session.State;
        session.Events = ReferenceEquals(past, session.Events) ? [.. session.Events, .. stored] : [.. stored];
        session.State = newState;
        session.ETag = etag;
        session.LastEpisode = stored;
        session.OutboxUncertain = true;
        await FinishEpisodeAsync(session, ct).ConfigureAwait(false);

        Record(previous, newState, result, Stopwatch.GetElapsedTime(clock));
        if (triage.NewExecution is not null && newState.HistoryStart > 1)
        {
            await DeleteOldRowsAsync(instanceId, newState.HistoryStart, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The state and past events the episode builds on: the current execution, or a new (or pending) one.</summary>
    private static (InstanceState State, List<StoredEvent> Past) BaseFor(InstanceSession session, Triage triage, DateTimeOffset now)
    {
        var current = session.State;
        InstanceState state;
        List<StoredEvent> past;
        if (triage.NewExecution is { } start || current is null)
        {
            state = new InstanceState
            {
                InstanceId = session.InstanceId,
                Name = string.Empty,
                Status = OrchestrationRuntimeStatus.Pending,
                ExecutionId = triage.NewExecution?.ExecutionId ?? triage.PendingExecutionId!,
                CreatedTime = now,
                Episode = current?.Episode ?? 0,
                HistoryStart = (current?.LastRow ?? 0) + 1,
                LastRow = current?.LastRow ?? 0,
                SentEpisode = current?.SentEpisode ?? 0,
            };
            past = [];
        }
        else
        {
            state = current;
            past = session.Events;
        }

        if (triage.Incoming.FirstOrDefault(e => e.Type == HistoryEventType.ExecutionStarted) is { } started)
        {
            state = state with
            {
                Name = started.Name ?? state.Name,
                Input = started.Data,
                InputRef = started.DataRef,
                Labels = started.Labels ?? new Dictionary<string, string>(),
                TraceParent = started.TraceParent ?? DurableTelemetry.NewTraceParent(),
                Parent = started.Parent,
                CreatedTime = started.Timestamp,
                ScheduledStartTime = started.FireAt,
            };
        }

        return (state, past);
    }

    private async Task<InstanceState> NextStateAsync(InstanceState baseState, EpisodeResult result, List<StoredEvent> stored, DateTimeOffset now, CancellationToken ct)
    {
        var status = result.Started || result.Status == OrchestrationRuntimeStatus.Terminated ? result.Status : OrchestrationRuntimeStatus.Pending;
        var (output, outputRef) = status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Terminated
            ? await payloads.StoreAsync(baseState.InstanceId, result.Output, ct).ConfigureAwait(false)
            : (null, null);
        return baseState with
        {
            Status = status,
            Started = result.Started,
            Output = output,
            OutputRef = outputRef,
            Failure = result.Failure,
            CustomStatus = result.CustomStatus,
            LastUpdatedTime = now,
            Episode = baseState.Episode + 1,
            LastRow = baseState.LastRow + 1,
            NextExecutionId = stored.LastOrDefault(e => e.Type == HistoryEventType.ContinuedAsNew)?.ExecutionId,
            OpenActivities = result.OpenActivities,
            OpenSubOrchestrations = result.OpenSubOrchestrations,
            NextTimerAt = result.NextTimerAt,
            WaitingFor = result.WaitingFor,
        };
    }

    /// <summary>Sends the last episode's messages and refreshes the status row (after a commit, or after a cold load).</summary>
    private async Task FinishEpisodeAsync(InstanceSession session, CancellationToken ct)
    {
        var state = session.State!;
        var messages = Outbox.Build(state, session.Events, session.LastEpisode, time.GetUtcNow(), options.Value.MaxActivitiesPerWorkItem);
        var send = sender.SendAsync(messages, ct);
        var project = instances.ProjectAsync(state, session.InstanceRowETag, ct);
        await send.ConfigureAwait(false);
        session.InstanceRowETag = await project.ConfigureAwait(false);
        if (_markSent && state.SentEpisode < state.Episode)
        {
            session.ETag = await history.MarkSentAsync(state.InstanceId, state.Episode, session.ETag!, ct).ConfigureAwait(false);
            session.State = state with { SentEpisode = state.Episode };
        }

        session.OutboxUncertain = false;
    }

    private async Task<List<StoredEvent>> ResolveAsync(InstanceSession session, List<StoredEvent> events, Dictionary<StoredEvent, StoredEvent>? map, CancellationToken ct)
    {
        var result = new List<StoredEvent>(events.Count);
        foreach (var e in events)
        {
            var resolved = e;
            if (e.DataRef is { } reference)
            {
                if (!session.Payloads.TryGetValue(reference, out var data))
                {
                    data = await payloads.ResolveAsync(null, reference, ct).ConfigureAwait(false);
                    session.Payloads[reference] = data!;
                }

                resolved = e with { Data = data, DataRef = null };
            }

            map?.Add(resolved, e);
            result.Add(resolved);
        }

        return result;
    }

    /// <summary>
    /// May an ExecutionStarted for <paramref name="executionId"/> replace the finished current execution? Yes for a
    /// restart the client announced on the status row, and for a parent's retry of a failed child.
    /// </summary>
    private async Task<bool> IsStartExpectedAsync(InstanceSession session, string executionId, IReadOnlyList<ControlMessage> messages, CancellationToken ct)
    {
        var start = messages.FirstOrDefault(m => m.ExecutionId == executionId && m.Event.Type == HistoryEventType.ExecutionStarted);
        if (start?.Event.Parent is { } parent && session.State?.Parent is { } previous && parent.InstanceId == previous.InstanceId
            && (parent.ExecutionId != previous.ExecutionId || parent.TaskId > previous.TaskId))
        {
            return true;
        }

        var (row, _) = await instances.GetAsync(session.InstanceId, ct).ConfigureAwait(false);
        return row is { Status: OrchestrationRuntimeStatus.Pending } && row.ExecutionId == executionId;
    }

    private void Record(InstanceState? previous, InstanceState state, EpisodeResult result, TimeSpan elapsed)
    {
        DurableTelemetry.RecordEpisode(state.Name, result.ReplayedEvents, elapsed);
        var newlyStarted = state.Started && (previous is null || previous.ExecutionId != state.ExecutionId || !previous.Started);
        if (newlyStarted && previous?.Status != OrchestrationRuntimeStatus.ContinuedAsNew)
        {
            DurableTelemetry.RecordStarted(state.Name);
        }

        if (state.Status.IsFinished())
        {
            DurableTelemetry.RecordFinished(state.Name, state.Status);
            Logs.InstanceFinished(logger, state.InstanceId, state.Name, state.Status);
            if (state.Failure is { } f)
            {
                Logs.InstanceFailed(logger, state.InstanceId, f.ErrorType, f.Message);
            }
        }
    }

    private async Task DeleteOldRowsAsync(string instanceId, long before, CancellationToken ct)
    {
        try
        {
            await history.DeleteRowsBeforeAsync(instanceId, before, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IdpServerless.Storage.StorageException or HttpRequestException)
        {
            // Old rows are never read (loads start at HistoryStart); purge removes them later.
            Logs.EpisodeFailed(logger, instanceId, "old history rows not removed: " + e.Message);
        }
    }
}
