using IdpServerless.Storage;

namespace IdpServerless.Functions.Catalog.Storage;

public sealed partial class CatalogStore
{
    /// <summary>The snapshot blob's name.</summary>
    public string SnapshotBlob => CatalogSnapshot.BlobName(_options.EntitiesTable);

    /// <summary>The blob whose lease makes an instance the one that writes snapshots.</summary>
    private string SnapshotLockBlob => _options.EntitiesTable + ".snapshot.lock";

    private BlobContainerClient Snapshots => storage.GetContainer(_options.SnapshotContainer);

    /// <summary>The snapshot blob's bytes (<see cref="SnapshotBlob"/>), or null when none was written.</summary>
    public async Task<byte[]?> DownloadSnapshotAsync(CancellationToken ct) =>
        (await Snapshots.DownloadAsync(SnapshotBlob, ct).ConfigureAwait(false))?.Content;

    /// <summary>Replaces the snapshot in one commit: readers see the old one or the new one.</summary>
    public async Task UploadSnapshotAsync(byte[] snapshot, CancellationToken ct)
    {
        await Snapshots.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
        await Snapshots.UploadAsync(SnapshotBlob, snapshot, ct: ct).ConfigureAwait(false);
    }

    /// <summary>Takes (lease id) or renews (<paramref name="held"/>) the snapshot writer's lease; null when another instance holds it.</summary>
    public async Task<string?> HoldSnapshotLeaseAsync(string? held, TimeSpan duration, CancellationToken ct)
    {
        if (held is not null)
        {
            try
            {
                await Snapshots.RenewLeaseAsync(SnapshotLockBlob, held, ct).ConfigureAwait(false);
                return held;
            }
            catch (StorageException)
            {
                // Lost (it expired and another instance took it): try to take it again.
            }
        }

        await Snapshots.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
        return await Snapshots.TryAcquireLeaseAsync(SnapshotLockBlob, duration, ct).ConfigureAwait(false);
    }

    public Task ReleaseSnapshotLeaseAsync(string leaseId, CancellationToken ct) => Snapshots.ReleaseLeaseAsync(SnapshotLockBlob, leaseId, ct);
}
