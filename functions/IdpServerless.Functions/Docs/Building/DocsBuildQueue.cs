using System.Collections.Concurrent;
using System.Text.Json;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Storage;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Docs.Building;

/// <summary>The <c>docs-build</c> message.</summary>
public sealed record DocsBuildRequest(string EntityRef);

/// <summary>Puts build requests on the <c>docs-build</c> queue and remembers what it asked for, so the timer does not ask twice for the same state.</summary>
public sealed class DocsBuildQueue(StorageClient storage, QueueWakeup wakeup, IOptions<DocsOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (string Fingerprint, DateTimeOffset At)> _requested = new(StringComparer.Ordinal);

    public async Task EnqueueAsync(string entityRef, CancellationToken ct)
    {
        var queue = storage.GetQueue(options.Value.BuildQueue);
        await queue.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
        await queue.SendAsync(JsonSerializer.Serialize(new DocsBuildRequest(entityRef), JsonSerializerOptions.Web), ct: ct).ConfigureAwait(false);
        wakeup.Notify(options.Value.BuildQueue);
    }

    /// <summary>Enqueues unless this fingerprint was already requested within <see cref="DocsOptions.RebuildAfter"/>.</summary>
    public async Task<bool> EnqueueOnceAsync(string entityRef, string fingerprint, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_requested.TryGetValue(entityRef, out var last) && last.Fingerprint == fingerprint && now - last.At < options.Value.RebuildAfter)
        {
            return false;
        }

        await EnqueueAsync(entityRef, ct).ConfigureAwait(false);
        _requested[entityRef] = (fingerprint, now);
        return true;
    }
}
