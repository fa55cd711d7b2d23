using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using IdpServerless.Storage.Internal;
using SdkContainerClient = Azure.Storage.Blobs.BlobContainerClient;

namespace IdpServerless.Storage;

/// <summary>
/// Block blobs and leases in one container through Azure.Storage.Blobs. Obtain from
/// <see cref="StorageClient.GetContainer"/>; thread-safe.
/// </summary>
public sealed class BlobContainerClient
{
    private readonly SdkContainerClient _container;
    private readonly string _path;
    private volatile bool _knownToExist;

    internal BlobContainerClient(SdkContainerClient container, StorageAccount account, string name)
    {
        _container = container;
        Name = name;
        _path = StorageNames.Path(account.BlobEndpoint, name);
    }

    public string Name { get; }

    /// <summary>The SDK's client for this container.</summary>
    public SdkContainerClient Sdk => _container;

    /// <summary>Page size for listings (service default 5000); settable by tests to exercise continuation.</summary>
    internal int? ListPageSize { get; set; }

    /// <summary>Creates the container (private access); an existing container is fine.</summary>
    public async Task CreateIfNotExistsAsync(CancellationToken ct = default)
    {
        await StorageErrors.RunAsync("Create container", _path, c => _container.CreateIfNotExistsAsync(cancellationToken: c), ct).ConfigureAwait(false);
        _knownToExist = true;
    }

    /// <summary>Deletes the container and its blobs; false when it did not exist.</summary>
    public async Task<bool> DeleteContainerAsync(CancellationToken ct = default)
    {
        _knownToExist = false;
        return await StorageErrors.RunAsync("Delete container", _path, async c =>
            (await _container.DeleteIfExistsAsync(cancellationToken: c).ConfigureAwait(false)).Value, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a block blob in one Put Blob and returns its ETag. <paramref name="ifMatch"/> makes it a
    /// conditional overwrite (<see cref="StoragePreconditionFailedException"/> when the ETag moved);
    /// <paramref name="ifNoneMatchAny"/> makes it create-only (<see cref="StorageConflictException"/> when the blob exists).
    /// </summary>
    public async Task<string> UploadAsync(string blobName, ReadOnlyMemory<byte> content, string contentType = "application/octet-stream", string? ifMatch = null, bool ifNoneMatchAny = false, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        StorageNames.ValidateBlobName(blobName);
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Conditions = new BlobRequestConditions
            {
                IfMatch = ifMatch is null ? null : new ETag(ifMatch),
                IfNoneMatch = ifNoneMatchAny ? ETag.All : null,
            },
        };
        var resource = _path + "/" + blobName;
        try
        {
            var info = await _container.GetBlobClient(blobName).UploadAsync(BinaryData.FromBytes(content), options, ct).ConfigureAwait(false);
            return info.Value.ETag.ToString();
        }
        catch (RequestFailedException e) when (ifNoneMatchAny && e.Status is 409 or 412)
        {
            // Azure reports an existing blob under If-None-Match: * as 409 BlobAlreadyExists, some versions as 412.
            throw new StorageConflictException($"Put blob {resource} failed with 409 ({e.ErrorCode ?? "BlobAlreadyExists"}): the blob exists.", e.ErrorCode, e);
        }
        catch (Exception e) when (StorageErrors.Map(e, "Put blob", resource, ct) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>Reads a whole blob; null when it does not exist (also when its container does not).</summary>
    public Task<BlobContent?> DownloadAsync(string blobName, CancellationToken ct = default)
    {
        StorageNames.ValidateBlobName(blobName);
        return StorageErrors.RunAsync<BlobContent?>("Get blob", _path + "/" + blobName, async c =>
        {
            try
            {
                var result = (await _container.GetBlobClient(blobName).DownloadContentAsync(c).ConfigureAwait(false)).Value;
                return new BlobContent(result.Content.ToArray(), result.Details.ContentType ?? "application/octet-stream",
                    result.Details.ETag.ToString(), result.Details.LastModified);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return null; // no blob, or no container yet (nothing was ever written): absent either way
            }
        }, ct);
    }

    /// <summary>Blobs (flat listing) whose names start with <paramref name="prefix"/>, following continuations.</summary>
    public async IAsyncEnumerable<BlobItem> ListAsync(string? prefix = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        string? continuation = null;
        do
        {
            var page = await StorageErrors.RunAsync("List blobs", _path, async c =>
            {
                var pages = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = string.IsNullOrEmpty(prefix) ? null : prefix }, c)
                    .AsPages(continuation, ListPageSize);
                await foreach (var p in pages.ConfigureAwait(false))
                {
                    return p;
                }

                return null;
            }, ct).ConfigureAwait(false);
            if (page is null)
            {
                yield break;
            }

            foreach (var item in page.Values)
            {
                yield return new BlobItem(item.Name, item.Properties.ContentLength ?? 0, item.Properties.ETag?.ToString() ?? string.Empty,
                    item.Properties.LastModified ?? DateTimeOffset.MinValue, item.Properties.ContentType);
            }

            continuation = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
        }
        while (continuation is not null);
    }

    /// <summary>Deletes a blob (and its snapshots); false when it did not exist.</summary>
    public Task<bool> DeleteAsync(string blobName, CancellationToken ct = default)
    {
        StorageNames.ValidateBlobName(blobName);
        return StorageErrors.RunAsync("Delete blob", _path + "/" + blobName, async c =>
        {
            try
            {
                return (await _container.GetBlobClient(blobName).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: c).ConfigureAwait(false)).Value;
            }
            catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode == "ContainerNotFound")
            {
                return false;
            }
        }, ct);
    }

    /// <summary>
    /// Tries to take a lease (15-60 s, or <see cref="Timeout.InfiniteTimeSpan"/>) on a blob, creating an empty
    /// blob first if needed. Returns the lease id, or null when someone else holds the lease. A client-chosen
    /// lease id is proposed, so a retry after a lost response re-acquires our own lease instead of failing.
    /// </summary>
    public async Task<string?> TryAcquireLeaseAsync(string blobName, TimeSpan duration, CancellationToken ct = default)
    {
        CheckLeaseDuration(duration);
        StorageNames.ValidateBlobName(blobName);
        var blob = _container.GetBlobClient(blobName);
        var lease = blob.GetBlobLeaseClient(Guid.NewGuid().ToString("D"));
        var resource = _path + "/" + blobName;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var acquired = await lease.AcquireAsync(duration == Timeout.InfiniteTimeSpan ? BlobLeaseClient.InfiniteLeaseDuration : duration, cancellationToken: ct).ConfigureAwait(false);
                return acquired.Value.LeaseId;
            }
            catch (RequestFailedException e) when (e.Status == 409 && e.ErrorCode is null or "LeaseAlreadyPresent")
            {
                return null;
            }
            catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode == "BlobNotFound" && attempt == 0)
            {
                await CreateEmptyIfMissingAsync(blobName, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (StorageErrors.Map(e, "Acquire lease", resource, ct) is { } mapped)
            {
                throw mapped;
            }
        }
    }

    /// <summary>Renews our lease; <see cref="StorageConflictException"/> when it was lost to someone else.</summary>
    public Task RenewLeaseAsync(string blobName, string leaseId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseId);
        StorageNames.ValidateBlobName(blobName);
        return StorageErrors.RunAsync("Renew lease", _path + "/" + blobName, c =>
            _container.GetBlobClient(blobName).GetBlobLeaseClient(leaseId).RenewAsync(cancellationToken: c), ct);
    }

    /// <summary>Releases our lease so others can acquire it at once.</summary>
    public Task ReleaseLeaseAsync(string blobName, string leaseId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseId);
        StorageNames.ValidateBlobName(blobName);
        return StorageErrors.RunAsync("Release lease", _path + "/" + blobName, c =>
            _container.GetBlobClient(blobName).GetBlobLeaseClient(leaseId).ReleaseAsync(cancellationToken: c), ct);
    }

    /// <summary>Creates the container once per client; later calls are free.</summary>
    internal Task EnsureExistsAsync(CancellationToken ct) => _knownToExist ? Task.CompletedTask : CreateIfNotExistsAsync(ct);

    private static void CheckLeaseDuration(TimeSpan duration)
    {
        if (duration != Timeout.InfiniteTimeSpan
            && (duration < TimeSpan.FromSeconds(15) || duration > TimeSpan.FromSeconds(60) || duration.Ticks % TimeSpan.TicksPerSecond != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "A lease lasts 15 to 60 whole seconds, or Timeout.InfiniteTimeSpan.");
        }
    }

    private async Task CreateEmptyIfMissingAsync(string blobName, CancellationToken ct)
    {
        try
        {
            await UploadAsync(blobName, ReadOnlyMemory<byte>.Empty, ifNoneMatchAny: true, ct: ct).ConfigureAwait(false);
        }
        catch (StorageConflictException)
        {
            // Someone else created it (and may hold the lease); the acquire decides.
        }
    }
}
