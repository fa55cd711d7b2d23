using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace IdpServerless.Storage.Internal;

/// <summary>
/// Large-message support: text that does not fit a queue message (64 KiB after XML escaping) or that XML
/// cannot carry is stored as a blob in container <c>queue-payloads</c>, and the message carries a small JSON
/// reference. Also remembers which received messages own a blob, so that deleting the message by id and pop
/// receipt can delete the blob too (best effort; use a lifecycle rule on the container for stragglers).
/// </summary>
internal sealed class QueuePayloads(StorageClient owner, string queueName)
{
    public const string Container = "queue-payloads";
    public const int MaxInlineBytes = 64 * 1024;
    private const string Marker = "{\"idp.queuePayload\":";
    private const int TrackLimit = 10_000;

    private readonly ConcurrentDictionary<string, (string Blob, DateTimeOffset Seen)> _blobsByMessageId = new(StringComparer.Ordinal);

    /// <summary>True when the text can travel in the message itself: XML can carry it and it fits in 64 KiB as XML.</summary>
    public static bool FitsInline(string text) =>
        !text.StartsWith(Marker, StringComparison.Ordinal) // would be mistaken for a reference on receive
        && QueueXml.EscapedUtf8Length(text) is >= 0 and <= MaxInlineBytes;

    /// <summary>Uploads the text and returns (blob name, reference message text).</summary>
    public async Task<(string Blob, string Reference)> StoreAsync(string text, CancellationToken ct)
    {
        var container = owner.GetContainer(Container);
        await container.EnsureExistsAsync(ct).ConfigureAwait(false);
        var blob = $"{queueName}/{Guid.NewGuid():N}";
        var bytes = Encoding.UTF8.GetBytes(text);
        await container.UploadAsync(blob, bytes, "text/plain; charset=utf-8", ct: ct).ConfigureAwait(false);
        var reference = Marker + JsonSerializer.Serialize(blob) + ",\"bytes\":" + bytes.Length + "}";
        return (blob, reference);
    }

    /// <summary>If the text is a reference, the blob name; else null.</summary>
    public static string? ReferencedBlob(string text)
    {
        if (!text.StartsWith(Marker, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.GetProperty("idp.queuePayload").GetString();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Downloads a referenced payload; null when the blob is gone.</summary>
    public async Task<string?> LoadAsync(string blob, CancellationToken ct)
    {
        var content = await owner.GetContainer(Container).DownloadAsync(blob, ct).ConfigureAwait(false);
        return content is null ? null : Encoding.UTF8.GetString(content.Content);
    }

    public async Task DeleteQuietlyAsync(string? blob)
    {
        if (blob is null)
        {
            return;
        }

        try
        {
            await owner.GetContainer(Container).DeleteAsync(blob, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StorageException)
        {
            // Best effort: the message is already gone; an orphaned payload only costs storage.
        }
    }

    public void Track(string messageId, string blob, DateTimeOffset now)
    {
        if (_blobsByMessageId.Count >= TrackLimit)
        {
            var cutoff = now - TimeSpan.FromHours(1);
            foreach (var (id, entry) in _blobsByMessageId)
            {
                if (entry.Seen < cutoff)
                {
                    _blobsByMessageId.TryRemove(id, out _);
                }
            }
        }

        _blobsByMessageId[messageId] = (blob, now);
    }

    public string? Untrack(string messageId) =>
        _blobsByMessageId.TryRemove(messageId, out var entry) ? entry.Blob : null;

    public string? Tracked(string messageId) =>
        _blobsByMessageId.TryGetValue(messageId, out var entry) ? entry.Blob : null;
}
