using IdpServerless.Durable.Storage;
using IdpServerless.Hosting.Dispatch;

namespace IdpServerless.Durable.Engine;

/// <summary>A message an episode decided to send.</summary>
internal sealed record OutgoingMessage(string? ControlInstanceId, string Text, TimeSpan Delay);

/// <summary>
/// The messages that follow from an episode's committed events. They are derived from the history rather than
/// stored separately, so after a crash between commit and send they are derived again from the last episode and
/// re-sent; every receiver recognises duplicates (completed steps, started executions, message ids).
/// </summary>
internal static class Outbox
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(5);

    public static List<OutgoingMessage> Build(InstanceState state, IReadOnlyList<StoredEvent> executionEvents, IReadOnlyList<StoredEvent> episode, DateTimeOffset now, int activitiesPerWorkItem)
    {
        var messages = new List<OutgoingMessage>();
        var labels = state.Labels.Count == 0 ? null : new Dictionary<string, string>(state.Labels);
        var calls = episode.Where(e => e.Type == HistoryEventType.TaskScheduled)
            .Select(e => new WorkItemTask(e.TaskId!.Value, e.Name!, e.Data, e.DataRef, e.Attempt ?? 1, e.IdempotencyKey ?? $"{state.InstanceId}:{state.ExecutionId}:{e.TaskId}"));
        foreach (var chunk in calls.Chunk(activitiesPerWorkItem))
        {
            messages.Add(new OutgoingMessage(null, new WorkItemMessage(state.InstanceId, state.ExecutionId, [.. chunk], labels, state.TraceParent).ToJson(), TimeSpan.Zero));
        }

        foreach (var e in episode)
        {
            switch (e.Type)
            {
                case HistoryEventType.TimerCreated:
                    messages.Add(Timer(state, e, now));
                    break;
                case HistoryEventType.SubOrchestrationCreated:
                    messages.Add(Control(e.InstanceId!, e.ExecutionId, new StoredEvent
                    {
                        Type = HistoryEventType.ExecutionStarted, Timestamp = now, Name = e.Name, Data = e.Data, DataRef = e.DataRef,
                        ExecutionId = e.ExecutionId, Labels = labels, TraceParent = state.TraceParent,
                        Parent = new ParentRef(state.InstanceId, state.ExecutionId, e.TaskId!.Value),
                    }, $"{e.ExecutionId}:start"));
                    break;
                case HistoryEventType.ContinuedAsNew:
                    messages.Add(Control(state.InstanceId, e.ExecutionId, new StoredEvent
                    {
                        Type = HistoryEventType.ExecutionStarted, Timestamp = now, Name = state.Name, Data = e.Data, DataRef = e.DataRef,
                        ExecutionId = e.ExecutionId, Labels = labels, TraceParent = state.TraceParent, Parent = state.Parent, Carried = e.Carried,
                    }, $"{e.ExecutionId}:start"));
                    break;
                case HistoryEventType.ExecutionCompleted or HistoryEventType.ExecutionFailed or HistoryEventType.ExecutionTerminated:
                    AddFinished(messages, state, executionEvents, e, now);
                    break;
            }
        }

        return messages;
    }

    /// <summary>The timer message; beyond the 7-day visibility cap it carries NotBefore and is re-sent on arrival.</summary>
    public static OutgoingMessage Timer(InstanceState state, StoredEvent created, DateTimeOffset now)
    {
        var fireAt = created.FireAt ?? now;
        var fired = new StoredEvent { Type = HistoryEventType.TimerFired, Timestamp = fireAt, TaskId = created.TaskId, FireAt = fireAt };
        var message = ControlMessage.Of(state.InstanceId, state.ExecutionId, fired, $"{state.ExecutionId}:timer:{created.TaskId}") with { NotBefore = fireAt };
        return new OutgoingMessage(state.InstanceId, message.ToJson(), Clamp(fireAt - now));
    }

    public static TimeSpan Clamp(TimeSpan delay) => delay <= TimeSpan.Zero ? TimeSpan.Zero : delay > MaxDelay ? MaxDelay : delay;

    private static void AddFinished(List<OutgoingMessage> messages, InstanceState state, IReadOnlyList<StoredEvent> executionEvents, StoredEvent e, DateTimeOffset now)
    {
        if (state.Parent is { } parent)
        {
            var completed = e.Type == HistoryEventType.ExecutionCompleted;
            var failure = e.Type == HistoryEventType.ExecutionTerminated
                ? new TaskFailureDetails("IdpServerless.Durable.OrchestrationTerminated", $"Sub-orchestration '{state.InstanceId}' was terminated: {e.Reason}", null, null)
                : e.Failure;
            messages.Add(Control(parent.InstanceId, parent.ExecutionId, new StoredEvent
            {
                Type = completed ? HistoryEventType.SubOrchestrationCompleted : HistoryEventType.SubOrchestrationFailed,
                Timestamp = now, TaskId = parent.TaskId, Name = state.Name, Data = completed ? e.Data : null, DataRef = completed ? e.DataRef : null,
                Failure = completed ? null : failure, InstanceId = state.InstanceId,
            }, $"{state.ExecutionId}:done"));
        }

        if (e.Type != HistoryEventType.ExecutionTerminated)
        {
            return;
        }

        // A terminated parent terminates the children it was still waiting for.
        var finished = executionEvents.Where(x => x.Type is HistoryEventType.SubOrchestrationCompleted or HistoryEventType.SubOrchestrationFailed)
            .Select(x => x.TaskId).ToHashSet();
        foreach (var child in executionEvents.Where(x => x.Type == HistoryEventType.SubOrchestrationCreated && !finished.Contains(x.TaskId)))
        {
            messages.Add(Control(child.InstanceId!, child.ExecutionId, new StoredEvent
            {
                Type = HistoryEventType.ExecutionTerminated, Timestamp = now, Reason = $"Parent '{state.InstanceId}' was terminated: {e.Reason}",
                MessageId = $"{state.ExecutionId}:terminate:{child.TaskId}",
            }, $"{state.ExecutionId}:terminate:{child.TaskId}"));
        }
    }

    private static OutgoingMessage Control(string instanceId, string? executionId, StoredEvent e, string id) =>
        new(instanceId, ControlMessage.Of(instanceId, executionId, e with { MessageId = e.MessageId ?? id }, id).ToJson(), TimeSpan.Zero);
}

/// <summary>Sends engine messages to the right queue, never expiring, and wakes this process's pollers.</summary>
internal sealed class MessageSender(TaskHub hub, QueueWakeup wakeup)
{
    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    public async Task SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken ct)
    {
        if (messages.Count == 0)
        {
            return;
        }

        await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (m, token) =>
        {
            var queue = m.ControlInstanceId is null ? hub.WorkItems : hub.ControlQueueFor(m.ControlInstanceId);
            await queue.SendAsync(m.Text, m.Delay, NeverExpires, token).ConfigureAwait(false);
        }).ConfigureAwait(false);

        foreach (var queue in messages.Where(m => m.Delay == TimeSpan.Zero)
                     .Select(m => m.ControlInstanceId is null ? hub.WorkItems.Name : hub.ControlQueueFor(m.ControlInstanceId).Name).Distinct())
        {
            wakeup.Notify(queue);
        }
    }

    public Task SendControlAsync(ControlMessage message, TimeSpan delay, CancellationToken ct) =>
        SendAsync([new OutgoingMessage(message.InstanceId, message.ToJson(), Outbox.Clamp(delay))], ct);
}
