using System.Diagnostics;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Observability;
using IdpServerless.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Hosting.Functions;

/// <summary>How one queue invocation ended.</summary>
public enum QueueOutcome
{
    /// <summary>Handled: delete the message.</summary>
    Succeeded,

    /// <summary>Failed, attempts remain: let it become visible again.</summary>
    Retry,

    /// <summary>Failed for the last time (or can never succeed): it was written to the poison queue; delete it.</summary>
    Poisoned,
}

/// <summary>
/// What every queue and timer function method calls, whichever host invoked it (the Functions host through its
/// triggers, or standalone mode's dispatchers): a span and metrics per call, large payloads read from their blob, and
/// on the last allowed attempt (or for a message that can never succeed) the message goes to <c>&lt;queue&gt;-poison</c>
/// with its reason, so both modes poison alike and an operator can read why.
/// </summary>
public sealed partial class FunctionInvoker(
    FunctionRegistry registry,
    StorageClient storage,
    TimeProvider time,
    ILogger<FunctionInvoker> logger)
{
    /// <summary>
    /// Runs <paramref name="handler"/> for the message a <c>[QueueTrigger]</c> delivered. Returns when the message is
    /// settled (handled, or poisoned); throws <see cref="FunctionAttemptFailedException"/> when the attempt failed and
    /// attempts remain, so that the trigger makes it visible again.
    /// </summary>
    public async Task RunQueueAsync(string functionName, Azure.Storage.Queues.Models.QueueMessage message, IQueueHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(handler);
        var function = registry.GetQueue(functionName);
        var queue = storage.GetQueue(function.QueueName);
        var received = await queue.ResolveAsync(new QueueMessage(message.MessageId, message.PopReceipt ?? string.Empty, message.Body?.ToString() ?? string.Empty,
            message.DequeueCount, message.InsertedOn ?? DateTimeOffset.MinValue, message.ExpiresOn ?? DateTimeOffset.MaxValue, message.NextVisibleOn ?? DateTimeOffset.MinValue), cancellationToken).ConfigureAwait(false);
        var context = new QueueMessageContext(function.Name, function.QueueName, received.MessageId, received.Body, received.DequeueCount, received.InsertionTime);
        var (outcome, reason) = received.PayloadMissing
            ? await PoisonAsync(function, context, $"The payload blob {received.PayloadBlob} of this message is gone.", cancellationToken).ConfigureAwait(false)
            : await InvokeQueueAsync(function, context, handler, cancellationToken).ConfigureAwait(false);
        if (outcome == QueueOutcome.Retry)
        {
            throw new FunctionAttemptFailedException(function.Name, reason ?? "failed");
        }

        // Settled: a payload blob is no longer needed once the trigger deletes the message (when this process received
        // the message itself, the delete removes it too).
        await queue.ForgetPayloadAsync(received).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="function"/>'s handler for one message and reports what to do with the message.</summary>
    public async Task<(QueueOutcome Outcome, string? Reason)> InvokeQueueAsync(
        QueueFunction function, QueueMessageContext message, IQueueHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(handler);
        using var activity = FunctionTelemetry.Source.StartActivity($"queue {function.Name}", ActivityKind.Consumer);
        activity?.SetTag("faas.trigger", "pubsub");
        activity?.SetTag("messaging.destination.name", function.QueueName);
        activity?.SetTag("messaging.message.id", message.MessageId);
        var started = Stopwatch.GetTimestamp();
        string reason;
        var poisonNow = false;
        try
        {
            await handler.HandleAsync(message, cancellationToken).ConfigureAwait(false);
            FunctionTelemetry.RecordInvocation(function.Name, "queue", "success", Stopwatch.GetElapsedTime(started));
            return (QueueOutcome.Succeeded, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (PoisonMessageException e)
        {
            reason = e.Message;
            poisonNow = true;
            LogHandlerFailed(logger, function.Name, message.MessageId, message.DequeueCount, PoisonRecord.ReasonFrom(e));
        }
        catch (Exception e)
        {
            reason = PoisonRecord.ReasonFrom(e);
            LogHandlerFailed(logger, function.Name, message.MessageId, message.DequeueCount, reason);
        }

        activity?.SetStatus(ActivityStatusCode.Error, reason);
        FunctionTelemetry.RecordInvocation(function.Name, "queue", "failure", Stopwatch.GetElapsedTime(started));
        if (!poisonNow && message.DequeueCount < function.MaxDequeueCount)
        {
            return (QueueOutcome.Retry, reason);
        }

        return await PoisonAsync(function, message, reason, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(QueueOutcome, string?)> PoisonAsync(QueueFunction function, QueueMessageContext message, string reason, CancellationToken cancellationToken)
    {
        await SendToPoisonAsync(function, message, reason, cancellationToken).ConfigureAwait(false);
        return (QueueOutcome.Poisoned, reason);
    }

    /// <summary>Writes the poison record. Throws if storage refuses, so the message is kept rather than lost.</summary>
    public async Task SendToPoisonAsync(QueueFunction function, QueueMessageContext message, string reason, CancellationToken cancellationToken)
    {
        var poison = storage.GetQueue(function.PoisonQueueName);
        await poison.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        var record = new PoisonRecord(function.Name, function.QueueName, message.MessageId, message.DequeueCount, reason, time.GetUtcNow(), message.Body);
        await poison.SendAsync(record.ToJson(), timeToLive: TimeSpan.FromSeconds(-1), ct: cancellationToken).ConfigureAwait(false);
        FunctionTelemetry.RecordPoisoned(function.Name);
        LogPoisoned(logger, function.Name, message.MessageId, function.PoisonQueueName, reason);
    }

    /// <summary>
    /// Runs <paramref name="handler"/> for the occurrence a <c>[TimerTrigger]</c> delivered. A failure is logged and
    /// rethrown, so the host records a failed invocation; the schedule goes on either way.
    /// </summary>
    public async Task RunTimerAsync(string functionName, TimerInfo timer, ITimerHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        ArgumentNullException.ThrowIfNull(handler);
        var function = registry.GetTimer(functionName);
        using var activity = FunctionTelemetry.Source.StartActivity($"timer {function.Name}", ActivityKind.Internal);
        activity?.SetTag("faas.trigger", "timer");
        var started = Stopwatch.GetTimestamp();
        try
        {
            // The occurrence is the one before the next; the host's ScheduleStatus.Last is the previous run's.
            var context = new TimerContext(function.Name, time.GetUtcNow(), timer.IsPastDue);
            await handler.HandleAsync(context, cancellationToken).ConfigureAwait(false);
            FunctionTelemetry.RecordInvocation(function.Name, "timer", "success", Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            FunctionTelemetry.RecordInvocation(function.Name, "timer", "failure", Stopwatch.GetElapsedTime(started));
            LogTimerFailed(logger, function.Name, PoisonRecord.ReasonFrom(e));
            throw;
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Function {Function} failed on message {MessageId} (attempt {DequeueCount}): {Reason}")]
    private static partial void LogHandlerFailed(ILogger logger, string function, string messageId, long dequeueCount, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Function {Function} moved message {MessageId} to {PoisonQueue}: {Reason}")]
    private static partial void LogPoisoned(ILogger logger, string function, string messageId, string poisonQueue, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Timer function {Function} failed: {Reason}")]
    private static partial void LogTimerFailed(ILogger logger, string function, string reason);
}
