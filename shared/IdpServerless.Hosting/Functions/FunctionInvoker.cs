using System.Diagnostics;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Observability;
using IdpServerless.Storage;
using Microsoft.Extensions.DependencyInjection;
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
/// Runs queue and timer handlers for both hosting modes with the same rules: a scope per invocation, a span and
/// metrics per call, and after the last allowed attempt the message goes to <c>&lt;queue&gt;-poison</c> with its reason.
/// </summary>
public sealed partial class FunctionInvoker(
    IServiceScopeFactory scopes,
    StorageClient storage,
    TimeProvider time,
    ILogger<FunctionInvoker> logger)
{
    /// <summary>Runs <paramref name="function"/>'s handler for one message and reports what to do with the message.</summary>
    public async Task<(QueueOutcome Outcome, string? Reason)> InvokeQueueAsync(
        QueueFunction function, QueueMessageContext message, CancellationToken cancellationToken)
    {
        using var activity = FunctionTelemetry.Source.StartActivity($"queue {function.Name}", ActivityKind.Consumer);
        activity?.SetTag("faas.trigger", "pubsub");
        activity?.SetTag("messaging.destination.name", function.QueueName);
        activity?.SetTag("messaging.message.id", message.MessageId);
        var started = Stopwatch.GetTimestamp();
        string reason;
        var poisonNow = false;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var handler = (IQueueHandler)scope.ServiceProvider.GetRequiredService(function.HandlerType);
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

    /// <summary>Runs a timer handler once.</summary>
    public async Task<bool> InvokeTimerAsync(TimerFunction function, TimerContext context, CancellationToken cancellationToken)
    {
        using var activity = FunctionTelemetry.Source.StartActivity($"timer {function.Name}", ActivityKind.Internal);
        activity?.SetTag("faas.trigger", "timer");
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var handler = (ITimerHandler)scope.ServiceProvider.GetRequiredService(function.HandlerType);
            await handler.HandleAsync(context, cancellationToken).ConfigureAwait(false);
            FunctionTelemetry.RecordInvocation(function.Name, "timer", "success", Stopwatch.GetElapsedTime(started));
            return true;
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
            return false;
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Function {Function} failed on message {MessageId} (attempt {DequeueCount}): {Reason}")]
    private static partial void LogHandlerFailed(ILogger logger, string function, string messageId, long dequeueCount, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Function {Function} moved message {MessageId} to {PoisonQueue}: {Reason}")]
    private static partial void LogPoisoned(ILogger logger, string function, string messageId, string poisonQueue, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Timer function {Function} failed: {Reason}")]
    private static partial void LogTimerFailed(ILogger logger, string function, string reason);
}
