namespace IdpServerless.Storage;

/// <summary>Receipt of a sent message; <see cref="PopReceipt"/> allows updating or deleting it before it is received.</summary>
public sealed record SentMessage(string MessageId, string PopReceipt, DateTimeOffset InsertionTime, DateTimeOffset ExpirationTime, DateTimeOffset NextVisibleTime);

/// <summary>
/// A received (or peeked) message. <see cref="Body"/> is the original text, also for large messages whose
/// text travelled through a blob (<see cref="PayloadBlob"/> then names it in container <c>queue-payloads</c>).
/// Peeked messages have an empty <see cref="PopReceipt"/> and <see cref="DateTimeOffset.MinValue"/> as
/// <see cref="NextVisibleTime"/>. If a payload blob has vanished, <see cref="Body"/> is the reference JSON
/// and <see cref="PayloadMissing"/> is true, so the caller can dead-letter it.
/// </summary>
public sealed record QueueMessage(string MessageId, string PopReceipt, string Body, long DequeueCount, DateTimeOffset InsertionTime, DateTimeOffset ExpirationTime, DateTimeOffset NextVisibleTime)
{
    public string? PayloadBlob { get; init; }

    public bool PayloadMissing { get; init; }
}
