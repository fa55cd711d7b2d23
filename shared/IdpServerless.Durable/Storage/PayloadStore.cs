using System.Text;
using IdpServerless.Storage;

namespace IdpServerless.Durable.Storage;

/// <summary>
/// Large payloads (inputs, outputs, results, event data) live in blobs named <c>{instanceId}/{guid}</c>, so table
/// rows and queue messages stay small; purge deletes an instance's blobs by prefix.
/// </summary>
internal sealed class PayloadStore(TaskHub hub)
{
    /// <summary>Keeps <paramref name="payload"/> inline when short, else uploads it and returns the blob name.</summary>
    public async Task<(string? Inline, string? Ref)> StoreAsync(string instanceId, string? payload, CancellationToken ct)
    {
        if (payload is null || payload.Length <= hub.Options.MaxInlinePayloadChars)
        {
            return (payload, null);
        }

        var name = instanceId + "/" + Guid.NewGuid().ToString("N");
        await hub.Payloads.UploadAsync(name, Encoding.UTF8.GetBytes(payload), "application/json", ct: ct).ConfigureAwait(false);
        return (null, name);
    }

    /// <summary>The payload, read from its blob when it was offloaded.</summary>
    public async Task<string?> ResolveAsync(string? inline, string? reference, CancellationToken ct)
    {
        if (reference is null)
        {
            return inline;
        }

        var blob = await hub.Payloads.DownloadAsync(reference, ct).ConfigureAwait(false)
                   ?? throw new InvalidOperationException($"Payload blob '{reference}' is missing.");
        return Encoding.UTF8.GetString(blob.Content);
    }

    /// <summary>Offloads the event's data when it is large (before the event is stored or sent).</summary>
    public async Task<StoredEvent> OffloadAsync(string instanceId, StoredEvent e, CancellationToken ct)
    {
        if (e.Data is null || e.Data.Length <= hub.Options.MaxInlinePayloadChars)
        {
            return e;
        }

        var (_, reference) = await StoreAsync(instanceId, e.Data, ct).ConfigureAwait(false);
        return e with { Data = null, DataRef = reference };
    }

    /// <summary>The event with its data read back from the blob, when it was offloaded.</summary>
    public async Task<StoredEvent> ResolveAsync(StoredEvent e, CancellationToken ct) =>
        e.DataRef is null ? e : e with { Data = await ResolveAsync(null, e.DataRef, ct).ConfigureAwait(false), DataRef = null };

    public async Task<int> DeleteAllAsync(string instanceId, CancellationToken ct)
    {
        var count = 0;
        try
        {
            await foreach (var blob in hub.Payloads.ListAsync(instanceId + "/", ct).ConfigureAwait(false))
            {
                await hub.Payloads.DeleteAsync(blob.Name, ct).ConfigureAwait(false);
                count++;
            }
        }
        catch (StorageNotFoundException)
        {
            // No container yet: nothing to delete.
        }

        return count;
    }
}
