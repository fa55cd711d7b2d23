using Azure.Storage.Queues.Models;
using IdpServerless.Storage.Internal;
using SdkQueueClient = Azure.Storage.Queues.QueueClient;

namespace IdpServerless.Storage;

/// <summary>
/// Messages of one queue through Azure.Storage.Queues. Message text is sent raw (no base64), matching
/// <c>messageEncoding: none</c> in host.json. Text over 64 KiB as XML (counted, not built: the SDK writes the XML), or text XML cannot carry,
/// travels through a blob in container <c>queue-payloads</c> and is resolved on receive. Obtain from
/// <see cref="StorageClient.GetQueue"/>; thread-safe.
/// </summary>
public sealed class QueueClient
{
    private static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7);

    private readonly SdkQueueClient _queue;
    private readonly TimeProvider _time;
    private readonly string _path;
    private readonly QueuePayloads _payloads;

    internal QueueClient(StorageClient owner, SdkQueueClient queue, string name)
    {
        _queue = queue;
        _time = owner.Time;
        Name = name;
        _path = StorageNames.Path(owner.Account.QueueEndpoint, name);
        _payloads = new QueuePayloads(owner, name);
    }

    public string Name { get; }

    /// <summary>The SDK's client for this queue (raw text encoding).</summary>
    public SdkQueueClient Sdk => _queue;

    /// <summary>Creates the queue; an existing queue is fine.</summary>
    public Task CreateIfNotExistsAsync(CancellationToken ct = default) =>
        StorageErrors.RunAsync("Create queue", _path, c => _queue.CreateIfNotExistsAsync(cancellationToken: c), ct);

    /// <summary>Deletes the queue; a missing queue is fine. Payload blobs of remaining messages are left behind.</summary>
    public Task DeleteQueueAsync(CancellationToken ct = default) =>
        StorageErrors.RunAsync("Delete queue", _path, c => _queue.DeleteIfExistsAsync(c), ct);

    /// <summary>Deletes all messages. Payload blobs of large messages are left behind.</summary>
    public Task ClearAsync(CancellationToken ct = default) =>
        StorageErrors.RunAsync("Clear messages", _path, c => _queue.ClearMessagesAsync(c), ct);

    /// <summary>
    /// Sends a message. <paramref name="visibilityDelay"/> hides it for 0 s..7 days. <paramref name="timeToLive"/>:
    /// null = service default (7 days); <see cref="TimeSpan.MinValue"/> or -1 s = never expires.
    /// </summary>
    public async Task<SentMessage> SendAsync(string text, TimeSpan? visibilityDelay = null, TimeSpan? timeToLive = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var delay = Seconds(visibilityDelay ?? TimeSpan.Zero, TimeSpan.Zero, nameof(visibilityDelay));
        TimeSpan? ttl = timeToLive switch
        {
            null => null,
            { } t when t == TimeSpan.MinValue || t == TimeSpan.FromSeconds(-1) => TimeSpan.FromSeconds(-1),
            { } t => Seconds(t, TimeSpan.FromSeconds(1), nameof(timeToLive), TimeSpan.MaxValue),
        };

        string? blob = null;
        var body = text;
        if (!QueuePayloads.FitsInline(text))
        {
            (blob, body) = await _payloads.StoreAsync(text, ct).ConfigureAwait(false);
        }

        try
        {
            var receipt = await StorageErrors.RunAsync("Put message", _path, async c =>
                (await _queue.SendMessageAsync(body, delay, ttl, c).ConfigureAwait(false)).Value, ct).ConfigureAwait(false);
            if (blob is not null)
            {
                _payloads.Track(receipt.MessageId, blob, _time.GetUtcNow());
            }

            return new SentMessage(receipt.MessageId, receipt.PopReceipt, receipt.InsertionTime, receipt.ExpirationTime, receipt.TimeNextVisible);
        }
        catch when (blob is not null)
        {
            await _payloads.DeleteQuietlyAsync(blob).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Receives 1..32 messages, hiding them for <paramref name="visibilityTimeout"/> (1 s..7 days).</summary>
    public async Task<IReadOnlyList<QueueMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, 32);
        var visibility = Seconds(visibilityTimeout, TimeSpan.FromSeconds(1), nameof(visibilityTimeout));
        var received = await StorageErrors.RunAsync("Get messages", _path, async c =>
            (await _queue.ReceiveMessagesAsync(maxMessages, visibility, c).ConfigureAwait(false)).Value, ct).ConfigureAwait(false);
        var messages = new QueueMessage[received.Length];
        for (var i = 0; i < received.Length; i++)
        {
            var m = received[i];
            messages[i] = new QueueMessage(m.MessageId, m.PopReceipt, m.Body.ToString(), m.DequeueCount,
                m.InsertedOn ?? DateTimeOffset.MinValue, m.ExpiresOn ?? DateTimeOffset.MaxValue, m.NextVisibleOn ?? DateTimeOffset.MinValue);
        }

        return await ResolvePayloadsAsync(messages, track: true, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the payload blob of a message that someone else received (the Functions host's queue trigger): the
    /// result's <see cref="QueueMessage.Body"/> is the original text, as <see cref="ReceiveAsync"/> gives it.
    /// </summary>
    public async Task<QueueMessage> ResolveAsync(QueueMessage message, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return (await ResolvePayloadsAsync([message], track: false, ct).ConfigureAwait(false))[0];
    }

    /// <summary>Deletes, best effort, the payload blob of a message that its receiver settled (see <see cref="ResolveAsync"/>).</summary>
    public Task ForgetPayloadAsync(QueueMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.PayloadBlob is null ? Task.CompletedTask : _payloads.DeleteQuietlyAsync(message.PayloadBlob);
    }

    /// <summary>Looks at up to 32 messages without hiding them (no pop receipts).</summary>
    public async Task<IReadOnlyList<QueueMessage>> PeekAsync(int maxMessages, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, 32);
        var peeked = await StorageErrors.RunAsync("Peek messages", _path, async c =>
            (await _queue.PeekMessagesAsync(maxMessages, c).ConfigureAwait(false)).Value, ct).ConfigureAwait(false);
        var messages = new QueueMessage[peeked.Length];
        for (var i = 0; i < peeked.Length; i++)
        {
            var m = peeked[i];
            messages[i] = new QueueMessage(m.MessageId, string.Empty, m.Body.ToString(), m.DequeueCount,
                m.InsertedOn ?? DateTimeOffset.MinValue, m.ExpiresOn ?? DateTimeOffset.MaxValue, DateTimeOffset.MinValue);
        }

        return await ResolvePayloadsAsync(messages, track: false, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes a message; then, best effort, its payload blob if this client saw the message carry one.
    /// <see cref="StorageNotFoundException"/> when the message is gone; <see cref="StoragePreconditionFailedException"/>
    /// (400 PopReceiptMismatch) when the pop receipt is stale because the message was received again.
    /// </summary>
    public async Task DeleteMessageAsync(string messageId, string popReceipt, CancellationToken ct = default)
    {
        await DeleteCoreAsync(messageId, popReceipt, ct).ConfigureAwait(false);
        await _payloads.DeleteQuietlyAsync(_payloads.Untrack(messageId)).ConfigureAwait(false);
    }

    /// <summary>Deletes a received message and its payload blob (works even when another client received it).</summary>
    public async Task DeleteMessageAsync(QueueMessage message, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        await DeleteCoreAsync(message.MessageId, message.PopReceipt, ct).ConfigureAwait(false);
        var tracked = _payloads.Untrack(message.MessageId);
        await _payloads.DeleteQuietlyAsync(message.PayloadBlob ?? tracked).ConfigureAwait(false);
    }

    /// <summary>
    /// Changes a message's visibility (0 s..7 days from now) and optionally its text; returns the new pop receipt.
    /// Errors as for <see cref="DeleteMessageAsync(string, string, CancellationToken)"/>.
    /// </summary>
    public async Task<string> UpdateMessageAsync(string messageId, string popReceipt, TimeSpan visibilityTimeout, string? newText = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(popReceipt);
        var visibility = Seconds(visibilityTimeout, TimeSpan.Zero, nameof(visibilityTimeout));
        string? newBlob = null;
        var body = newText;
        if (newText is not null && !QueuePayloads.FitsInline(newText))
        {
            (newBlob, body) = await _payloads.StoreAsync(newText, ct).ConfigureAwait(false);
        }

        try
        {
            var receipt = await StorageErrors.RunAsync("Update message", _path + "/messages/" + messageId, async c =>
                (await _queue.UpdateMessageAsync(messageId, popReceipt, body, visibility, c).ConfigureAwait(false)).Value, ct).ConfigureAwait(false);
            if (newText is not null)
            {
                var oldBlob = newBlob is null ? _payloads.Untrack(messageId) : _payloads.Tracked(messageId);
                if (newBlob is not null)
                {
                    _payloads.Track(messageId, newBlob, _time.GetUtcNow());
                }

                if (oldBlob != newBlob)
                {
                    await _payloads.DeleteQuietlyAsync(oldBlob).ConfigureAwait(false);
                }
            }

            return receipt.PopReceipt;
        }
        catch when (newBlob is not null)
        {
            await _payloads.DeleteQuietlyAsync(newBlob).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The service's approximate number of messages (visible or not).</summary>
    public Task<int> GetApproximateCountAsync(CancellationToken ct = default) =>
        StorageErrors.RunAsync("Get queue metadata", _path, async c =>
            (await _queue.GetPropertiesAsync(c).ConfigureAwait(false)).Value.ApproximateMessagesCount, ct);

    private Task DeleteCoreAsync(string messageId, string popReceipt, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(popReceipt);
        return StorageErrors.RunAsync("Delete message", _path + "/messages/" + messageId, c => _queue.DeleteMessageAsync(messageId, popReceipt, c), ct);
    }

    private async Task<IReadOnlyList<QueueMessage>> ResolvePayloadsAsync(QueueMessage[] result, bool track, CancellationToken ct)
    {
        var loads = new List<Task>();
        for (var i = 0; i < result.Length; i++)
        {
            var m = result[i];
            if (QueuePayloads.ReferencedBlob(m.Body) is { } blob)
            {
                if (track)
                {
                    _payloads.Track(m.MessageId, blob, _time.GetUtcNow());
                }

                loads.Add(ResolveAsync(i, blob));
            }
        }

        await Task.WhenAll(loads).ConfigureAwait(false);
        return result;

        async Task ResolveAsync(int index, string blob)
        {
            var body = await _payloads.LoadAsync(blob, ct).ConfigureAwait(false);
            result[index] = body is null
                ? result[index] with { PayloadBlob = blob, PayloadMissing = true }
                : result[index] with { Body = body, PayloadBlob = blob };
        }
    }

    private static TimeSpan Seconds(TimeSpan value, TimeSpan min, string name, TimeSpan? max = null)
    {
        var upper = max ?? MaxVisibility;
        if (value < min || value > upper)
        {
            throw new ArgumentOutOfRangeException(name, value, $"Must be between {min} and {upper}.");
        }

        // The service counts whole seconds; round a fraction up so a delay is never shorter than asked.
        return value.Ticks % TimeSpan.TicksPerSecond == 0 ? value : TimeSpan.FromSeconds(Math.Ceiling(value.TotalSeconds));
    }
}
