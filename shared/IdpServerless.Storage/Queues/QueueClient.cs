using System.Globalization;
using System.Net;
using IdpServerless.Storage.Internal;

namespace IdpServerless.Storage;

/// <summary>
/// Messages of one queue over the Queue REST API. Message text is sent raw (no base64), matching
/// <c>messageEncoding: none</c> in host.json. Text over 64 KiB (after XML escaping), or text XML cannot carry,
/// travels through a blob in container <c>queue-payloads</c> and is resolved on receive. Obtain from
/// <see cref="StorageClient.GetQueue"/>; thread-safe.
/// </summary>
public sealed class QueueClient
{
    private static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7);

    private readonly StorageTransport _transport;
    private readonly string _queueUri;
    private readonly QueuePayloads _payloads;

    internal QueueClient(StorageClient owner, string name)
    {
        _transport = owner.Transport;
        Name = name;
        _queueUri = _transport.Account.QueueEndpoint.AbsoluteUri.TrimEnd('/') + "/" + name;
        _payloads = new QueuePayloads(owner, name);
    }

    public string Name { get; }

    /// <summary>Creates the queue; an existing queue is fine.</summary>
    public async Task CreateIfNotExistsAsync(CancellationToken ct = default)
    {
        var request = Request(HttpMethod.Put, _queueUri, "Create queue");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        if (!await StorageTransport.IsErrorAsync(response, HttpStatusCode.Conflict, "QueueAlreadyExists", ct).ConfigureAwait(false))
        {
            await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the queue; a missing queue is fine. Payload blobs of remaining messages are left behind.</summary>
    public async Task DeleteQueueAsync(CancellationToken ct = default)
    {
        var request = Request(HttpMethod.Delete, _queueUri, "Delete queue");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes all messages. Payload blobs of large messages are left behind.</summary>
    public async Task ClearAsync(CancellationToken ct = default)
    {
        var request = Request(HttpMethod.Delete, _queueUri + "/messages", "Clear messages");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a message. <paramref name="visibilityDelay"/> hides it for 0 s..7 days. <paramref name="timeToLive"/>:
    /// null = service default (7 days); <see cref="TimeSpan.MinValue"/> or -1 s = never expires.
    /// </summary>
    public async Task<SentMessage> SendAsync(string text, TimeSpan? visibilityDelay = null, TimeSpan? timeToLive = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var query = "?visibilitytimeout=" + Seconds(visibilityDelay ?? TimeSpan.Zero, TimeSpan.Zero, nameof(visibilityDelay));
        if (timeToLive is { } ttl)
        {
            query += "&messagettl=" + (ttl == TimeSpan.MinValue || ttl == TimeSpan.FromSeconds(-1)
                ? "-1"
                : Seconds(ttl, TimeSpan.FromSeconds(1), nameof(timeToLive), TimeSpan.MaxValue));
        }

        string? blob = null;
        var escaped = QueuePayloads.InlineText(text);
        if (escaped is null)
        {
            (blob, escaped) = await _payloads.StoreAsync(text, ct).ConfigureAwait(false);
        }

        var request = Request(HttpMethod.Post, _queueUri + "/messages" + query, "Put message")
            .Body(QueueXml.Envelope(escaped), "application/xml");
        try
        {
            using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
            await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var raw = QueueXml.ReadList(stream).Single();
            if (blob is not null)
            {
                _payloads.Track(raw.MessageId, blob, _transport.Time.GetUtcNow());
            }

            return new SentMessage(raw.MessageId, raw.PopReceipt, raw.InsertionTime, raw.ExpirationTime, raw.NextVisibleTime);
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
        var uri = _queueUri + "/messages?numofmessages=" + maxMessages.ToString(CultureInfo.InvariantCulture)
            + "&visibilitytimeout=" + Seconds(visibilityTimeout, TimeSpan.FromSeconds(1), nameof(visibilityTimeout));
        return await ReadMessagesAsync(Request(HttpMethod.Get, uri, "Get messages"), track: true, ct).ConfigureAwait(false);
    }

    /// <summary>Looks at up to 32 messages without hiding them (no pop receipts).</summary>
    public async Task<IReadOnlyList<QueueMessage>> PeekAsync(int maxMessages, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, 32);
        var uri = _queueUri + "/messages?peekonly=true&numofmessages=" + maxMessages.ToString(CultureInfo.InvariantCulture);
        return await ReadMessagesAsync(Request(HttpMethod.Get, uri, "Peek messages"), track: false, ct).ConfigureAwait(false);
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
        var uri = MessageUri(messageId, popReceipt) + "&visibilitytimeout=" + Seconds(visibilityTimeout, TimeSpan.Zero, nameof(visibilityTimeout));
        var request = Request(HttpMethod.Put, uri, "Update message");
        string? newBlob = null;
        if (newText is not null)
        {
            var escaped = QueuePayloads.InlineText(newText);
            if (escaped is null)
            {
                (newBlob, escaped) = await _payloads.StoreAsync(newText, ct).ConfigureAwait(false);
            }

            request.Body(QueueXml.Envelope(escaped), "application/xml");
        }

        try
        {
            using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
            await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
            if (newText is not null)
            {
                var oldBlob = newBlob is null ? _payloads.Untrack(messageId) : _payloads.Tracked(messageId);
                if (newBlob is not null)
                {
                    _payloads.Track(messageId, newBlob, _transport.Time.GetUtcNow());
                }

                if (oldBlob != newBlob)
                {
                    await _payloads.DeleteQuietlyAsync(oldBlob).ConfigureAwait(false);
                }
            }

            return response.Headers.NonValidated.TryGetValues("x-ms-popreceipt", out var values)
                ? values.ToString()
                : throw new StorageException($"Update message {StorageTransport.ResourcePath(request)} returned no pop receipt.", (int)response.StatusCode, null);
        }
        catch when (newBlob is not null)
        {
            await _payloads.DeleteQuietlyAsync(newBlob).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The service's approximate number of messages (visible or not).</summary>
    public async Task<int> GetApproximateCountAsync(CancellationToken ct = default)
    {
        var request = Request(HttpMethod.Get, _queueUri + "?comp=metadata", "Get queue metadata");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        return response.Headers.NonValidated.TryGetValues("x-ms-approximate-messages-count", out var values)
            && int.TryParse(values.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : throw new StorageException($"Get queue metadata {StorageTransport.ResourcePath(request)} returned no message count.", (int)response.StatusCode, null);
    }

    private async Task DeleteCoreAsync(string messageId, string popReceipt, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(popReceipt);
        var request = Request(HttpMethod.Delete, MessageUri(messageId, popReceipt), "Delete message");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<QueueMessage>> ReadMessagesAsync(StorageRequest request, bool track, CancellationToken ct)
    {
        List<QueueXml.RawMessage> raw;
        using (var response = await _transport.SendAsync(request, ct).ConfigureAwait(false))
        {
            await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            raw = QueueXml.ReadList(stream);
        }

        var result = new QueueMessage[raw.Count];
        var loads = new List<Task>();
        for (var i = 0; i < raw.Count; i++)
        {
            var m = raw[i];
            var message = new QueueMessage(m.MessageId, m.PopReceipt, m.Text, m.DequeueCount, m.InsertionTime, m.ExpirationTime, m.NextVisibleTime);
            result[i] = message;
            if (QueuePayloads.ReferencedBlob(m.Text) is { } blob)
            {
                if (track)
                {
                    _payloads.Track(m.MessageId, blob, _transport.Time.GetUtcNow());
                }

                var index = i;
                loads.Add(ResolveAsync(index, blob));
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

    private string MessageUri(string messageId, string popReceipt) =>
        _queueUri + "/messages/" + Uri.EscapeDataString(messageId) + "?popreceipt=" + Uri.EscapeDataString(popReceipt);

    private static StorageRequest Request(HttpMethod method, string uri, string operation) =>
        new(StorageService.Queue, method, uri, operation);

    private static string Seconds(TimeSpan value, TimeSpan min, string name, TimeSpan? max = null)
    {
        var upper = max ?? MaxVisibility;
        if (value < min || value > upper)
        {
            throw new ArgumentOutOfRangeException(name, value, $"Must be between {min} and {upper}.");
        }

        return ((long)Math.Ceiling(value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
    }
}
