using System.Collections.Concurrent;
using System.Text.Json;
using IdpServerless.Durable.Engine;
using IdpServerless.Durable.Operability;
using IdpServerless.Durable.Storage;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Functions;
using IdpServerless.Storage;
using Microsoft.Extensions.Hosting;

namespace IdpServerless.Durable.Dispatch;

/// <summary>
/// Standalone mode's reader of the control queues. Unlike the generic queue dispatcher it (a) reads only the
/// partitions this process leases, so one instance's messages normally reach one process, and (b) hands all messages
/// of one instance that are waiting to a single episode, one episode per instance at a time, which keeps histories warm
/// in memory and turns a fan-in of N results into a few episodes instead of N. Under the Functions host the same queues
/// are queue-triggered functions (<see cref="ControlQueueHandler"/>) and exclusivity rests on the history's ETag alone.
/// </summary>
internal sealed class ControlQueueListener(
    TaskHub hub,
    EpisodeProcessor processor,
    SessionCache cache,
    QueueWakeup wakeup,
    FunctionInvoker invoker,
    TimeProvider time,
    ILogger<ControlQueueListener> logger) : BackgroundService
{
    private const int MaxInFlightPerPartition = 512;
    private const int MaxDequeueCount = 10;

    // Local sends wake the poller at once (QueueWakeup); polling only finds other processes' messages, so it can back off.
    private static readonly TimeSpan MinIdle = TimeSpan.FromMilliseconds(50);
    private readonly ConcurrentDictionary<string, InstanceQueue> _instances = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, (CancellationTokenSource Stop, Task Loop)> _loops = new();
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);
    private SemaphoreSlim _episodes = new(1);
    private PartitionManager? _partitions;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _episodes = new SemaphoreSlim(hub.Options.MaxConcurrentOrchestrations);
        _partitions = new PartitionManager(hub, time, logger);
        var every = TimeSpan.FromTicks(hub.Options.PartitionLeaseDuration.Ticks / 4);
        var round = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await hub.EnsureCreatedAsync(stoppingToken).ConfigureAwait(false);
                var (acquired, lost) = await _partitions.BalanceAsync(StopLoopAsync, stoppingToken).ConfigureAwait(false);
                foreach (var p in lost)
                {
                    await StopLoopAsync(p).ConfigureAwait(false);
                }

                foreach (var p in acquired)
                {
                    StartLoop(p, stoppingToken);
                }

                if (round++ % 4 == 0)
                {
                    await SampleDepthsAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is StorageException or HttpRequestException)
            {
                Logs.LeaseHousekeepingFailed(logger, e.Message);
            }

            try
            {
                await Task.Delay(every, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        foreach (var p in _loops.Keys.ToList())
        {
            await StopLoopAsync(p).ConfigureAwait(false);
        }

        using var leaving = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _partitions.LeaveAsync(leaving.Token).ConfigureAwait(false);
    }

    private void StartLoop(int partition, CancellationToken stoppingToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        _loops[partition] = (stop, Task.Run(() => PollAsync(partition, stop.Token), CancellationToken.None));
    }

    private async Task StopLoopAsync(int partition)
    {
        if (_loops.TryRemove(partition, out var loop))
        {
            await loop.Stop.CancelAsync().ConfigureAwait(false);
            await loop.Loop.ConfigureAwait(false);
            loop.Stop.Dispose();
        }

        // Another process may advance these instances now: our copies would be stale.
        cache.RemoveWhere(id => hub.PartitionOf(id) == partition);
    }

    private async Task PollAsync(int partition, CancellationToken stop)
    {
        var queue = hub.ControlQueues[partition];
        var idle = MinIdle;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (_inFlight.Count >= MaxInFlightPerPartition * Math.Max(1, _loops.Count))
                {
                    await Task.Delay(20, stop).ConfigureAwait(false);
                    continue;
                }

                var batch = await queue.ReceiveAsync(32, hub.Options.ControlVisibilityTimeout, stop).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    await wakeup.WaitAsync(queue.Name, idle, stop).ConfigureAwait(false);
                    idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, hub.Options.MaxPollingInterval.Ticks));
                    continue;
                }

                idle = MinIdle;
                foreach (var group in (await ParseAsync(queue, batch, stop).ConfigureAwait(false)).GroupBy(m => m.Parsed.InstanceId, StringComparer.Ordinal))
                {
                    Enqueue(group.Key, group.ToList());
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever went wrong, the loop must go on: a dead poller would silently strand its partition.
                Logs.PartitionLoopFailed(logger, partition, (e as StorageException)?.Status ?? 0, e.GetType().Name + ": " + e.Message);
                await Task.Delay(hub.Options.MaxPollingInterval, time, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task<List<Received>> ParseAsync(QueueClient queue, IReadOnlyList<QueueMessage> batch, CancellationToken ct)
    {
        var parsed = new List<Received>(batch.Count);
        foreach (var m in batch)
        {
            if (!_inFlight.TryAdd(m.MessageId, 0))
            {
                continue; // Reappeared while its episode is still queued here: that one will settle it.
            }

            string? problem = null;
            ControlMessage? message = null;
            try
            {
                message = m.PayloadMissing ? null : ControlMessage.Parse(m.Body);
                problem = message is null ? "its payload blob is missing" : null;
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
            {
                problem = e.Message;
            }

            if (message is null || m.DequeueCount > MaxDequeueCount)
            {
                problem ??= $"its episode failed {m.DequeueCount - 1} times";
                Logs.Malformed(logger, m.MessageId, queue.Name, problem);
                var function = new QueueFunction(DurableFunctionNames.ForControlQueue(queue.Name), queue.Name, typeof(ControlQueueHandler));
                await invoker.SendToPoisonAsync(function, new QueueMessageContext(function.Name, queue.Name, m.MessageId, m.Body, m.DequeueCount, m.InsertionTime), problem, ct).ConfigureAwait(false);
                await DeleteQuietlyAsync(queue, m).ConfigureAwait(false);
                continue;
            }

            parsed.Add(new Received(queue, m, message));
        }

        return parsed;
    }

    private void Enqueue(string instanceId, List<Received> items)
    {
        while (true)
        {
            var q = _instances.GetOrAdd(instanceId, static _ => new InstanceQueue());
            lock (q)
            {
                if (q.Closed)
                {
                    continue; // Its runner just finished and left: make a new one.
                }

                q.Pending.AddRange(items);
                if (q.Running)
                {
                    return;
                }

                q.Running = true;
            }

            _ = Task.Run(() => RunInstanceAsync(instanceId, q));
            return;
        }
    }

    private async Task RunInstanceAsync(string instanceId, InstanceQueue q)
    {
        while (true)
        {
            List<Received> items;
            lock (q)
            {
                if (q.Pending.Count == 0)
                {
                    q.Running = false;
                    q.Closed = true;
                    _instances.TryRemove(new KeyValuePair<string, InstanceQueue>(instanceId, q));
                    return;
                }

                items = [.. q.Pending];
                q.Pending.Clear();
            }

            await _episodes.WaitAsync().ConfigureAwait(false);
            try
            {
                await processor.ProcessAsync(instanceId, items.Select(i => i.Parsed).ToList(), CancellationToken.None).ConfigureAwait(false);
                await Task.WhenAll(items.Select(i => DeleteQuietlyAsync(i.Queue, i.Message))).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Left on the queue: the messages reappear when their visibility ends and are tried again (cold).
                cache.Remove(instanceId);
                Logs.EpisodeFailed(logger, instanceId, e.GetType().Name + ": " + e.Message);
            }
            finally
            {
                _episodes.Release();
                foreach (var i in items)
                {
                    _inFlight.TryRemove(i.Message.MessageId, out _);
                }
            }
        }
    }

    private static async Task DeleteQuietlyAsync(QueueClient queue, QueueMessage message)
    {
        try
        {
            await queue.DeleteMessageAsync(message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StorageException or HttpRequestException)
        {
            // Received again elsewhere (visibility ran out) or storage hiccup: it comes back and is recognised as a duplicate.
        }
    }

    private async Task SampleDepthsAsync(CancellationToken ct)
    {
        foreach (var queue in hub.ControlQueues.Append(hub.WorkItems))
        {
            DurableTelemetry.SetDepth(queue.Name, await queue.GetApproximateCountAsync(ct).ConfigureAwait(false));
        }
    }

    private sealed record Received(QueueClient Queue, QueueMessage Message, ControlMessage Parsed);

    private sealed class InstanceQueue
    {
        public List<Received> Pending { get; } = [];

        public bool Running { get; set; }

        public bool Closed { get; set; }
    }
}
