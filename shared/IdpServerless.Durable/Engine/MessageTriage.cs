using IdpServerless.Durable.Storage;

namespace IdpServerless.Durable.Engine;

/// <summary>How the messages of one batch for one instance apply to its current state.</summary>
internal sealed class Triage
{
    /// <summary>ExecutionStarted of a new execution (fresh start, restart or ContinueAsNew); the current one is replaced.</summary>
    public ControlMessage? NewExecution { get; set; }

    /// <summary>The execution has no history yet: start a pending one with this id (events arrived before the start).</summary>
    public string? PendingExecutionId { get; set; }

    /// <summary>Events for the (new or current) execution, in order; the runner drops duplicates among them.</summary>
    public List<StoredEvent> Incoming { get; } = [];

    /// <summary>Messages that may belong to an execution about to start: sent again a little later.</summary>
    public List<ControlMessage> Deferred { get; } = [];

    public int Dropped { get; set; }
}

/// <summary>
/// Sorts a batch of control messages for one instance into what applies now, what waits, and what is stale.
/// Engine messages (results, timers) name the execution they belong to and are dropped for any other; client
/// messages (events, terminate, suspend, resume) for an instance without history start a pending execution.
/// </summary>
internal static class MessageTriage
{
    public static async Task<Triage> SortAsync(InstanceState? state, IReadOnlyList<ControlMessage> messages, Func<string, Task<bool>> isPendingRestart)
    {
        var triage = new Triage();
        foreach (var m in messages.Where(m => m.Event.Type == HistoryEventType.ExecutionStarted))
        {
            var e = m.ExecutionId;
            if (triage.NewExecution is not null || e is null)
            {
                triage.Dropped++;
            }
            else if (state is null)
            {
                triage.NewExecution = m;
            }
            else if (e == state.ExecutionId)
            {
                if (!state.Started && !state.Status.IsFinished())
                {
                    triage.Incoming.Add(m.Event);
                }
                else
                {
                    triage.Dropped++;
                }
            }
            else if ((state.Status == OrchestrationRuntimeStatus.ContinuedAsNew && state.NextExecutionId == e)
                     || (state.Status.IsFinished() && await isPendingRestart(e).ConfigureAwait(false)))
            {
                triage.NewExecution = m;
            }
            else
            {
                triage.Dropped++;
            }
        }

        var target = triage.NewExecution?.ExecutionId ?? state?.ExecutionId;
        if (triage.NewExecution is { } start)
        {
            triage.Incoming.Insert(0, start.Event);
            if (start.Event.Carried is { } carried)
            {
                triage.Incoming.AddRange(carried);
            }
        }

        foreach (var m in messages.Where(m => m.Event.Type != HistoryEventType.ExecutionStarted))
        {
            foreach (var e in m.Events)
            {
                var fromClient = e.Type is HistoryEventType.EventRaised or HistoryEventType.ExecutionTerminated
                    or HistoryEventType.ExecutionSuspended or HistoryEventType.ExecutionResumed;
                if (target is null)
                {
                    if (fromClient && m.ExecutionId is { } pending)
                    {
                        target = pending;
                        triage.PendingExecutionId = pending;
                        triage.Incoming.Add(e);
                    }
                    else
                    {
                        triage.Dropped++;
                    }
                }
                else if (m.ExecutionId == target || (m.ExecutionId is null && fromClient))
                {
                    if (triage.NewExecution is null && state is not null && state.Status.IsFinished())
                    {
                        triage.Dropped++;
                    }
                    else
                    {
                        triage.Incoming.Add(e);
                    }
                }
                else if (fromClient && m.ExecutionId is { } other && state is { } s && s.Status.IsFinished() && triage.NewExecution is null
                         && await isPendingRestart(other).ConfigureAwait(false))
                {
                    triage.Deferred.Add(m);
                }
                else
                {
                    triage.Dropped++;
                }
            }
        }

        return triage;
    }
}
