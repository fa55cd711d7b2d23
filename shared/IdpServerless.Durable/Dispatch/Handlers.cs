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
/// A work item: runs one activity (resolved from DI in a fresh scope) and sends its result or failure to the
/// instance's control queue. The activity's own exceptions are results, not message failures; only when the result
/// cannot be sent does the message fail, so the activity runs again (at least once).
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

        using var span = DurableTelemetry.StartSpan($"activity {item.Name}", ActivityKind.Consumer, item.TraceParent);
        span?.SetTag("idp.orchestration.instance_id", item.InstanceId);
        span?.SetTag("idp.orchestration.task_id", item.TaskId);
        var started = Stopwatch.GetTimestamp();
        string? output = null;
        TaskFailureDetails? failure = null;
        try
        {
            var type = registry.FindActivity(item.Name)
                       ?? throw new InvalidOperationException($"No activity named '{item.Name}' is registered in this app.");
            var input = await payloads.ResolveAsync(item.Input, item.InputRef, cancellationToken).ConfigureAwait(false);
            var activity = (IActivityFunction)ActivatorUtilities.GetServiceOrCreateInstance(services, type);
            var context = new WorkItemContext(item, cancellationToken);
            output = await activity.RunAsync(context, input).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            failure = InstanceState.Trim(TaskFailureDetails.FromException(e));
            span?.SetStatus(ActivityStatusCode.Error, failure.ErrorType);
            Logs.ActivityFailed(logger, item.Name, item.InstanceId, item.Attempt, failure.ErrorType);
        }

        DurableTelemetry.RecordActivity(item.Name, failure is null, Stopwatch.GetElapsedTime(started));
        var result = new StoredEvent
        {
            Type = failure is null ? HistoryEventType.TaskCompleted : HistoryEventType.TaskFailed,
            Timestamp = time.GetUtcNow(),
            TaskId = item.TaskId,
            Name = item.Name,
            Data = output,
            Failure = failure,
        };
        result = await payloads.OffloadAsync(item.InstanceId, result, cancellationToken).ConfigureAwait(false);
        var id = $"{item.ExecutionId}:{item.TaskId}:result";
        await sender.SendControlAsync(new ControlMessage(item.InstanceId, item.ExecutionId, result with { MessageId = id }, id), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
    }

    private sealed class WorkItemContext(WorkItemMessage item, CancellationToken cancellationToken) : ActivityContext
    {
        public override string InstanceId => item.InstanceId;

        public override string Name => item.Name;

        public override int Attempt => item.Attempt;

        public override string IdempotencyKey => item.IdempotencyKey;

        public override IReadOnlyDictionary<string, string> Labels => item.Labels ?? (IReadOnlyDictionary<string, string>)new Dictionary<string, string>();

        public override CancellationToken CancellationToken => cancellationToken;
    }
}
