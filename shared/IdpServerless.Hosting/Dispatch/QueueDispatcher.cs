using IdpServerless.Hosting.Functions;
using Azure.Storage.Queues.Models;
using IdpServerless.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdpServerless.Hosting.Dispatch;

/// <summary>
/// Standalone mode's queue trigger, with the Storage Queues extension's semantics: one poller per queue function,
/// bounded parallelism, idle back-off, visibility renewed while the function runs, the message deleted when the
/// function returns and made visible again (after a back-off) when it throws. It calls the same <c>[Function]</c>
/// method the host calls, which writes the poison record on the last attempt. A crashed instance loses nothing: its
/// messages reappear when their visibility expires.
/// </summary>
public sealed partial class QueueDispatcher(
    FunctionRegistry registry,
    IServiceScopeFactory scopes,
    StorageClient storage,
    QueueWakeup wakeup,
    IOptions<DispatchOptions> options,
    ILogger<QueueDispatcher> logger) : BackgroundService
{
    private readonly DispatchOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var polled = registry.QueueFunctions.ToList();
        if (!_options.Enabled || polled.Count == 0)
        {
            return;
        }

        await Task.WhenAll(polled.Select(f => Task.Run(() => PollAsync(f, stoppingToken), stoppingToken))).ConfigureAwait(false);
    }

    private async Task PollAsync(QueueFunction function, CancellationToken stop)
    {
        var queue = storage.GetQueue(function.QueueName);
        var visibility = _options.VisibilityTimeout ?? function.VisibilityTimeout;
        var maxIdle = _options.MaxPollingInterval ?? function.MaxPollingInterval;
        var concurrency = Math.Max(1, _options.MaxConcurrency ?? function.MaxConcurrency);
        using var slots = new SemaphoreSlim(concurrency, concurrency);
        var idle = _options.MinPollingInterval;
        var created = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!created)
                {
                    await queue.CreateIfNotExistsAsync(stop).ConfigureAwait(false);
                    created = true;
                }

                await slots.WaitAsync(stop).ConfigureAwait(false);
                var free = slots.CurrentCount + 1;
                IReadOnlyList<IdpServerless.Storage.QueueMessage> batch;
                try
                {
                    batch = await queue.ReceiveAsync(Math.Min(32, free), visibility, stop).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }

                if (batch.Count == 0)
                {
                    await wakeup.WaitAsync(function.QueueName, idle, stop).ConfigureAwait(false);
                    idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, maxIdle.Ticks));
                    continue;
                }

                idle = _options.MinPollingInterval;
                foreach (var message in batch)
                {
                    await slots.WaitAsync(stop).ConfigureAwait(false);
                    _ = HandleAsync(function, queue, message, visibility, slots, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // Whatever goes wrong while polling (an outage, a timeout, a bug) must not stop the dispatcher, and
                // with it the host: log, back off, poll again. Received messages are not lost: they reappear.
                LogPollFailed(logger, function.QueueName, e is StorageException se ? se.Status : 0, e.GetType().Name + ": " + e.Message);
                await Delay(maxIdle, stop).ConfigureAwait(false);
            }
        }

        // Let in-flight handlers finish (or observe cancellation) before the host stops.
        for (var i = 0; i < concurrency; i++)
        {
            await slots.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(QueueFunction function, QueueClient queue, IdpServerless.Storage.QueueMessage message, TimeSpan visibility, SemaphoreSlim slots, CancellationToken stop)
    {
        var popReceipt = message.PopReceipt;
        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var renewLoop = RenewAsync();
        try
        {
            var trigger = QueuesModelFactory.QueueMessage(message.MessageId, popReceipt, BinaryData.FromString(message.Body), message.DequeueCount,
                nextVisibleOn: message.NextVisibleTime, insertedOn: message.InsertionTime, expiresOn: message.ExpirationTime);
            var failed = false;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await FunctionMethods.InvokeAsync(function.Method, scope.ServiceProvider, trigger, stop).ConfigureAwait(false);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // The function logged why (FunctionAttemptFailedException); anything else is a failure of its own.
                failed = true;
                if (e is not FunctionAttemptFailedException)
                {
                    LogFunctionThrew(logger, function.Name, message.MessageId, e.GetType().Name + ": " + e.Message);
                }
            }

            await renewing.CancelAsync().ConfigureAwait(false);
            await renewLoop.ConfigureAwait(false);
            if (failed)
            {
                var delay = RetryDelay(message.DequeueCount);
                await queue.UpdateMessageAsync(message.MessageId, popReceipt, delay, ct: stop).ConfigureAwait(false);
            }
            else
            {
                await queue.DeleteMessageAsync(message.MessageId, popReceipt, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Shutting down: the message becomes visible again when its timeout expires and another attempt runs.
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            // The handler's work may be done but the message could not be settled: it will be delivered again, which
            // is why handlers must be idempotent (at-least-once, like the Functions host).
            LogSettleFailed(logger, function.Name, message.MessageId, e.GetType().Name + ": " + e.Message);
        }
        finally
        {
            await renewing.CancelAsync().ConfigureAwait(false);
            slots.Release();
        }

        async Task RenewAsync()
        {
            var every = TimeSpan.FromTicks(Math.Max(visibility.Ticks / 2, TimeSpan.FromMilliseconds(200).Ticks));
            try
            {
                while (true)
                {
                    // Only the wait is cancelled when the handler finishes; an update already sent runs to its end so
                    // that the new pop receipt is known: cancelling it mid-flight could leave the queue holding a
                    // receipt we never saw, and the delete that follows would fail and deliver the message again.
                    await Task.Delay(every, renewing.Token).ConfigureAwait(false);
                    popReceipt = await queue.UpdateMessageAsync(message.MessageId, popReceipt, visibility, ct: stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                LogRenewFailed(logger, function.Name, message.MessageId, e.GetType().Name + ": " + e.Message);
            }
        }
    }

    private TimeSpan RetryDelay(long dequeueCount)
    {
        var factor = Math.Pow(2, Math.Clamp(dequeueCount - 1, 0, 20));
        var ticks = Math.Min(_options.RetryDelay.Ticks * factor, _options.MaxRetryDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    private static async Task Delay(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Polling queue {Queue} failed ({Status}): {Error}")]
    private static partial void LogPollFailed(ILogger logger, string queue, int status, string error);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Function {Function} could not settle message {MessageId}; it will be delivered again: {Error}")]
    private static partial void LogSettleFailed(ILogger logger, string function, string messageId, string error);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Function {Function} threw on message {MessageId}; it will be delivered again: {Error}")]
    private static partial void LogFunctionThrew(ILogger logger, string function, string messageId, string error);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Function {Function} could not extend the visibility of message {MessageId}: {Error}")]
    private static partial void LogRenewFailed(ILogger logger, string function, string messageId, string error);
}
