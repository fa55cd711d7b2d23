using System.Diagnostics;
using System.Text.Json;
using IdpServerless.Durable.Engine;
using IdpServerless.Durable.Operability;
using IdpServerless.Durable.Storage;
using IdpServerless.Hosting.Functions;

namespace IdpServerless.Durable.Dispatch;

/// <summary>Names of the engine's queue functions (one per control queue, one for activities).</summary>
public static class DurableFunctionNames
{
    public const string Activity = "DurableActivity";

    public const string StuckCheck = "DurableStuckInstances";

    /// <summary>The function reading control queue <paramref name="queueName"/> (<c>{hub}-control-NN</c>).</summary>
    public static string ForControlQueue(string queueName) => "DurableControl" + queueName[^2..];
}

/// <summary>
/// A control-queue message delivered as a queue trigger (custom-handler mode: any app instance may get any message).
/// One episode per message; episodes of one instance in this process are serialized, and across processes the
/// history's ETag decides (the loser reloads and retries).
/// </summary>
internal sealed class ControlQueueHandler(EpisodeProcessor processor) : IQueueHandler
{
    private static readonly SemaphoreSlim[] Stripes = Enumerable.Range(0, 256).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public async Task HandleAsync(QueueMessageContext message, CancellationToken cancellationToken)
    {
        ControlMessage parsed;
        try
        {
            parsed = ControlMessage.Parse(message.Body);
        }
        catch (JsonException e)
        {
            throw new PoisonMessageException("Not a control message: " + e.Message, e);
        }

        var stripe = Stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(parsed.InstanceId) % (uint)Stripes.Length)];
        await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await processor.ProcessAsync(parsed.InstanceId, [parsed], cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            stripe.Release();
        }
    }
}

/// <summary>
/// A work item: runs its activity calls in parallel (each resolved from DI in this message's scope) and sends their
/// results and failures to the instance's control queue in one message. An activity's own exceptions are results, not
/// message failures; only when the results cannot be sent does the message fail, so the calls run again (at least once).
/// </summary>
internal sealed class ActivityWorkItemHandler(
    DurableRegistry registry,
    IServiceProvider services,
    PayloadStore payloads,
    MessageSender sender,
    TimeProvider time,
    ILogger<ActivityWorkItemHandler> logger) : IQueueHandler
{
    public async Task HandleAsync(QueueMessageContext message, CancellationToken cancellationToken)
    {
        WorkItemMessage item;
        try
        {
            item = WorkItemMessage.Parse(message.Body);
        }
        catch (JsonException e)
        {
            throw new PoisonMessageException("Not a work item: " + e.Message, e);
        }

        var results = await Task.WhenAll(item.Tasks.Select(t => RunAsync(item, t, cancellationToken))).ConfigureAwait(false);
        var id = $"{item.ExecutionId}:{item.Tasks[0].TaskId}:results";
        await sender.SendControlAsync(new ControlMessage(item.InstanceId, item.ExecutionId, [.. results], id), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
    }

    private async Task<StoredEvent> RunAsync(WorkItemMessage item, WorkItemTask task, CancellationToken cancellationToken)
    {
        using var span = DurableTelemetry.StartSpan($"activity {task.Name}", ActivityKind.Consumer, item.TraceParent);
        span?.SetTag("idp.orchestration.instance_id", item.InstanceId);
        span?.SetTag("idp.orchestration.task_id", task.TaskId);
        var started = Stopwatch.GetTimestamp();
        string? output = null;
        TaskFailureDetails? failure = null;
        try
        {
            var type = registry.FindActivity(task.Name)
                       ?? throw new InvalidOperationException($"No activity named '{task.Name}' is registered in this app.");
            var input = await payloads.ResolveAsync(task.Input, task.InputRef, cancellationToken).ConfigureAwait(false);
            var activity = (IActivityFunction)ActivatorUtilities.GetServiceOrCreateInstance(services, type);
            output = await activity.RunAsync(new WorkItemContext(item, task, cancellationToken), input).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            failure = InstanceState.Trim(TaskFailureDetails.FromException(e));
            span?.SetStatus(ActivityStatusCode.Error, failure.ErrorType);
            Logs.ActivityFailed(logger, task.Name, item.InstanceId, task.Attempt, failure.ErrorType);
        }

        DurableTelemetry.RecordActivity(task.Name, failure is null, Stopwatch.GetElapsedTime(started));
        var result = new StoredEvent
        {
            Type = failure is null ? HistoryEventType.TaskCompleted : HistoryEventType.TaskFailed,
            Timestamp = time.GetUtcNow(),
            TaskId = task.TaskId,
            Name = task.Name,
            Data = output,
            Failure = failure,
            MessageId = $"{item.ExecutionId}:{task.TaskId}:result",
        };
        return await payloads.OffloadAsync(item.InstanceId, result, cancellationToken).ConfigureAwait(false);
    }

    private sealed class WorkItemContext(WorkItemMessage item, WorkItemTask task, CancellationToken cancellationToken) : ActivityContext
    {
        public override string InstanceId => item.InstanceId;

        public override string Name => task.Name;

        public override int Attempt => task.Attempt;

        public override string IdempotencyKey => task.IdempotencyKey;

        public override IReadOnlyDictionary<string, string> Labels => item.Labels ?? (IReadOnlyDictionary<string, string>)new Dictionary<string, string>();

        public override CancellationToken CancellationToken => cancellationToken;
    }
}
