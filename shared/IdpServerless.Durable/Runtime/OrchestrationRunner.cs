using IdpServerless.Durable.Storage;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Durable.Runtime;

/// <summary>
/// Runs one episode of one execution: replays the past events through the orchestrator's code (matching every step it
/// schedules against the history), then applies the new events, and reports the events to append and the outcome.
/// Single-threaded and deterministic; it does no I/O.
/// </summary>
internal sealed class OrchestrationRunner
{
    private readonly OrchestrationScheduler _scheduler = new();
    private readonly IOrchestratorFunction? _function;
    private readonly Dictionary<int, Step> _steps = [];
    private readonly HashSet<string> _seenMessages = new(StringComparer.Ordinal);
    private readonly List<StoredEvent> _buffered = [];
    private readonly List<(string Name, TaskCompletionSource<string?> Waiter)> _waiters = [];
    private List<StoredEvent> _deferred = [];
    private Task<string?>? _orchestration;
    private NonDeterministicOrchestrationException? _nonDeterminism;
    private bool _suspended;
    private bool _terminated;
    private string? _terminateReason;
    private int _nextTaskId;
    private StoredEvent? _started;

    public OrchestrationRunner(string instanceId, string executionId, string name, IOrchestratorFunction? function, ILoggerFactory loggers)
    {
        _function = function;
        Context = new ReplayContext(this, instanceId, executionId, name, loggers);
    }

    internal ReplayContext Context { get; }

    internal bool IsReplaying { get; private set; }

    internal DateTimeOffset CurrentTime { get; private set; }

    internal string? CustomStatus { get; set; }

    internal bool CustomStatusChanged { get; set; }

    internal (string? Input, bool Preserve)? ContinueAsNewRequest { get; set; }

    private bool Finished => _terminated || _nonDeterminism is not null || _orchestration is { IsCompleted: true };

    /// <summary>
    /// Replays <paramref name="past"/>, then applies <paramref name="incoming"/> in an episode starting at
    /// <paramref name="now"/>. Incoming duplicates and stale completions are dropped (not appended).
    /// </summary>
    public EpisodeResult Run(IReadOnlyList<StoredEvent> past, IReadOnlyList<StoredEvent> incoming, DateTimeOffset now, string? customStatus)
    {
        CustomStatus = customStatus;
        IsReplaying = true;
        foreach (var e in past)
        {
            Observe(e);
            Apply(e);
            if (_nonDeterminism is not null)
            {
                break;
            }
        }

        IsReplaying = false;
        var appended = new List<StoredEvent>();
        var episodeStart = new StoredEvent { Type = HistoryEventType.OrchestratorStarted, Timestamp = now };
        appended.Add(episodeStart);
        Apply(episodeStart);
        var leftovers = new List<StoredEvent>();
        foreach (var e in incoming)
        {
            if (Finished)
            {
                if (e.Type == HistoryEventType.EventRaised && _nonDeterminism is null)
                {
                    leftovers.Add(e);
                }

                continue;
            }

            if (!Accept(e))
            {
                continue;
            }

            Observe(e);
            appended.Add(e);
            Apply(e);
        }

        if (_nonDeterminism is null && !_terminated)
        {
            foreach (var step in _steps.Values.Where(s => !s.Confirmed).OrderBy(s => s.TaskId))
            {
                step.Confirmed = true;
                appended.Add(ScheduledEvent(step, now));
            }
        }

        return Conclude(appended, leftovers, now, past.Count);
    }

    internal int NextTaskId() => ++_nextTaskId;

    internal Step Schedule(Step step)
    {
        _steps[step.TaskId] = step;
        return step;
    }

    /// <summary>An event already received for <paramref name="name"/>, removed from the buffer; null when none.</summary>
    internal StoredEvent? TakeBuffered(string name)
    {
        var index = _buffered.FindIndex(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
        if (index < 0)
        {
            return null;
        }

        var e = _buffered[index];
        _buffered.RemoveAt(index);
        return e;
    }

    internal void AddWaiter(string name, TaskCompletionSource<string?> waiter) => _waiters.Add((name, waiter));

    internal void RemoveWaiter(TaskCompletionSource<string?> waiter) => _waiters.RemoveAll(w => w.Waiter == waiter);

    private bool Accept(StoredEvent e)
    {
        if (e.MessageId is { } id && !_seenMessages.Add(id))
        {
            return false;
        }

        return e.Type switch
        {
            HistoryEventType.TaskCompleted or HistoryEventType.TaskFailed => IsAwaited(e, StepKind.Activity),
            HistoryEventType.TimerFired => IsAwaited(e, StepKind.Timer),
            HistoryEventType.SubOrchestrationCompleted or HistoryEventType.SubOrchestrationFailed => IsAwaited(e, StepKind.SubOrchestration),
            HistoryEventType.ExecutionSuspended => !_suspended,
            HistoryEventType.ExecutionResumed => _suspended,
            HistoryEventType.ExecutionTerminated or HistoryEventType.EventRaised => true,
            HistoryEventType.ExecutionStarted => _started is null,
            _ => false,
        };
    }

    private bool IsAwaited(StoredEvent e, StepKind kind) =>
        e.TaskId is { } id && _steps.TryGetValue(id, out var s) && s.Kind == kind && s.Confirmed && !s.CompletionSeen &&
        (kind == StepKind.Timer || e.Name is null || string.Equals(e.Name, s.Name, StringComparison.Ordinal));

    /// <summary>Bookkeeping that must happen even for events deferred while suspended.</summary>
    private void Observe(StoredEvent e)
    {
        if (e.MessageId is { } id)
        {
            _seenMessages.Add(id);
        }

        if (e.Type is HistoryEventType.TaskCompleted or HistoryEventType.TaskFailed or HistoryEventType.TimerFired
                or HistoryEventType.SubOrchestrationCompleted or HistoryEventType.SubOrchestrationFailed
            && e.TaskId is { } taskId && _steps.TryGetValue(taskId, out var step))
        {
            step.CompletionSeen = true;
        }
    }

    private void Apply(StoredEvent e)
    {
        switch (e.Type)
        {
            case HistoryEventType.OrchestratorStarted:
                CurrentTime = e.Timestamp;
                return;
            case HistoryEventType.ExecutionStarted:
                Start(e);
                break;
            case HistoryEventType.ExecutionSuspended:
                _suspended = true;
                return;
            case HistoryEventType.ExecutionResumed:
                _suspended = false;
                var deferred = _deferred;
                _deferred = [];
                foreach (var d in deferred)
                {
                    Apply(d);
                }

                return;
            case HistoryEventType.ExecutionTerminated:
                _terminated = true;
                _terminateReason = e.Reason;
                return;
            case HistoryEventType.TaskScheduled or HistoryEventType.TimerCreated or HistoryEventType.SubOrchestrationCreated:
                Confirm(e);
                return;
        }

        if (_suspended && e.Type is HistoryEventType.TaskCompleted or HistoryEventType.TaskFailed or HistoryEventType.TimerFired
                or HistoryEventType.SubOrchestrationCompleted or HistoryEventType.SubOrchestrationFailed or HistoryEventType.EventRaised)
        {
            _deferred.Add(e);
            return;
        }

        switch (e.Type)
        {
            case HistoryEventType.TaskCompleted or HistoryEventType.SubOrchestrationCompleted or HistoryEventType.TimerFired:
                if (e.TaskId is { } done && _steps.TryGetValue(done, out var ok))
                {
                    ok.Completion.TrySetResult(e.Data);
                }

                break;
            case HistoryEventType.TaskFailed or HistoryEventType.SubOrchestrationFailed:
                if (e.TaskId is { } failed && _steps.TryGetValue(failed, out var bad))
                {
                    var details = e.Failure ?? new TaskFailureDetails("Unknown", "The task failed.", null, null);
                    bad.Completion.TrySetException(new TaskFailedException(bad.Name, details));
                }

                break;
            case HistoryEventType.EventRaised:
                Deliver(e);
                break;
        }

        _scheduler.Drain();
    }

    private void Start(StoredEvent e)
    {
        _started = e;
        Context.SetLabels(e.Labels);
        if (_function is null)
        {
            _orchestration = Task.FromException<string?>(new InvalidOperationException(
                $"No orchestrator named '{e.Name}' is registered in this app."));
            return;
        }

        var function = _function;
        var input = e.Data;
        _orchestration = _scheduler.Start(() => function.RunAsync(Context, input));
        _scheduler.Drain();
    }

    private void Confirm(StoredEvent e)
    {
        var kind = e.Type switch
        {
            HistoryEventType.TaskScheduled => StepKind.Activity,
            HistoryEventType.TimerCreated => StepKind.Timer,
            _ => StepKind.SubOrchestration,
        };
        var expected = $"{Step.Describe(kind)} '{e.Name}' at step {e.TaskId}";
        if (e.TaskId is not { } id || !_steps.TryGetValue(id, out var step))
        {
            var what = _orchestration is { IsCompleted: true } ? "the orchestrator had already finished" : "the orchestrator scheduled nothing there";
            _nonDeterminism = new NonDeterministicOrchestrationException($"Non-deterministic orchestrator '{Context.Name}': expected {expected}, but {what}.");
            return;
        }

        if (step.Kind != kind || !string.Equals(step.Name, e.Name, StringComparison.Ordinal))
        {
            var scheduled = step.Kind == kind ? $"'{step.Name}'" : $"{Step.Describe(step.Kind)} '{step.Name}'";
            _nonDeterminism = new NonDeterministicOrchestrationException($"Non-deterministic orchestrator '{Context.Name}': expected {expected}, orchestrator scheduled {scheduled}.");
            return;
        }

        step.Confirmed = true;
    }

    private void Deliver(StoredEvent e)
    {
        var index = _waiters.FindIndex(w => string.Equals(w.Name, e.Name, StringComparison.OrdinalIgnoreCase));
        if (index < 0)
        {
            _buffered.Add(e);
            return;
        }

        var waiter = _waiters[index].Waiter;
        _waiters.RemoveAt(index);
        waiter.TrySetResult(e.Data);
    }

    private StoredEvent ScheduledEvent(Step step, DateTimeOffset now) => step.Kind switch
    {
        StepKind.Activity => new StoredEvent
        {
            Type = HistoryEventType.TaskScheduled, Timestamp = now, TaskId = step.TaskId, Name = step.Name, Data = step.Input,
            Attempt = step.Attempt, IdempotencyKey = step.IdempotencyKey,
        },
        StepKind.Timer => new StoredEvent { Type = HistoryEventType.TimerCreated, Timestamp = now, TaskId = step.TaskId, Name = step.Name, FireAt = step.FireAt },
        _ => new StoredEvent
        {
            Type = HistoryEventType.SubOrchestrationCreated, Timestamp = now, TaskId = step.TaskId, Name = step.Name, Data = step.Input,
            InstanceId = step.ChildInstanceId, ExecutionId = step.ChildExecutionId, Attempt = step.Attempt,
        },
    };

    private EpisodeResult Conclude(List<StoredEvent> appended, List<StoredEvent> leftovers, DateTimeOffset now, int replayed)
    {
        var open = _steps.Values.Where(s => !s.CompletionSeen).ToList();
        var result = new EpisodeResult
        {
            Appended = appended,
            Status = _suspended ? OrchestrationRuntimeStatus.Suspended : OrchestrationRuntimeStatus.Running,
            Started = _started is not null,
            CustomStatus = CustomStatus,
            CustomStatusChanged = CustomStatusChanged,
            OpenActivities = open.Count(s => s.Kind == StepKind.Activity),
            OpenSubOrchestrations = open.Count(s => s.Kind == StepKind.SubOrchestration),
            NextTimerAt = open.Where(s => s.Kind == StepKind.Timer && !s.Completion.Task.IsCompleted).Min(s => s.FireAt),
            WaitingFor = _waiters.Count == 0 ? null : string.Join(",", _waiters.Select(w => w.Name).Distinct(StringComparer.OrdinalIgnoreCase)),
            ReplayedEvents = replayed,
            OpenChildren = open.Where(s => s.Kind == StepKind.SubOrchestration).Select(s => (s.ChildInstanceId!, s.ChildExecutionId!)).ToList(),
        };

        if (_terminated)
        {
            return result with { Status = OrchestrationRuntimeStatus.Terminated, Output = DurableJson.Serialize(_terminateReason) };
        }

        if (_nonDeterminism is not null)
        {
            return Fail(result, TaskFailureDetails.FromException(_nonDeterminism), now);
        }

        if (_orchestration is not { IsCompleted: true } finished)
        {
            return result;
        }

        if (!finished.IsCompletedSuccessfully)
        {
            var error = finished.Exception?.InnerException ?? new OperationCanceledException("The orchestrator was cancelled.");
            return Fail(result, TaskFailureDetails.FromException(error), now);
        }

        if (ContinueAsNewRequest is { } next)
        {
            var carried = next.Preserve ? _buffered.Concat(_deferred.Where(d => d.Type == HistoryEventType.EventRaised)).Concat(leftovers).ToList() : [];
            appended.Add(new StoredEvent
            {
                Type = HistoryEventType.ContinuedAsNew, Timestamp = now, Data = next.Input,
                ExecutionId = DeterministicGuid.NextExecution(Context.InstanceId, Context.ExecutionId),
                Carried = carried.Count == 0 ? null : carried,
            });
            return result with { Status = OrchestrationRuntimeStatus.ContinuedAsNew, Output = null };
        }

        appended.Add(new StoredEvent { Type = HistoryEventType.ExecutionCompleted, Timestamp = now, Data = finished.Result });
        return result with { Status = OrchestrationRuntimeStatus.Completed, Output = finished.Result };
    }

    private static EpisodeResult Fail(EpisodeResult result, TaskFailureDetails failure, DateTimeOffset now)
    {
        result.Appended.Add(new StoredEvent { Type = HistoryEventType.ExecutionFailed, Timestamp = now, Failure = failure });
        return result with { Status = OrchestrationRuntimeStatus.Failed, Failure = failure };
    }
}
