using System.Collections.Concurrent;

namespace IdpServerless.Hosting.Dispatch;

/// <summary>
/// Lets code that just enqueued a message wake this instance's poller for that queue at once, instead of waiting out
/// its idle back-off. Other instances still find the message by polling; nothing depends on the signal arriving.
/// </summary>
public sealed class QueueWakeup
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _signals = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Wakes the poller of <paramref name="queueName"/> if it is idle.</summary>
    public void Notify(string queueName)
    {
        var s = _signals.GetOrAdd(queueName, _ => new SemaphoreSlim(0, 1));
        if (s.CurrentCount == 0)
        {
            try
            {
                s.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled: one wake-up is enough.
            }
        }
    }

    /// <summary>Waits for a signal or the delay, whichever comes first.</summary>
    public async Task WaitAsync(string queueName, TimeSpan delay, CancellationToken cancellationToken)
    {
        var s = _signals.GetOrAdd(queueName, _ => new SemaphoreSlim(0, 1));
        await s.WaitAsync(delay, cancellationToken).ConfigureAwait(false);
    }
}
