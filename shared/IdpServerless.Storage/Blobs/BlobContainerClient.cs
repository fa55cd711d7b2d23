using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using IdpServerless.Storage.Internal;

namespace IdpServerless.Storage;

/// <summary>
/// Block blobs and leases in one container over the Blob REST API. Obtain from
/// <see cref="StorageClient.GetContainer"/>; thread-safe.
/// </summary>
public sealed class BlobContainerClient
{
    private readonly StorageTransport _transport;
    private readonly string _containerUri;
    private volatile bool _knownToExist;

    internal BlobContainerClient(StorageTransport transport, string name)
    {
        _transport = transport;
        Name = name;
        _containerUri = transport.Account.BlobEndpoint.AbsoluteUri.TrimEnd('/') + "/" + name;
    }

    public string Name { get; }

    /// <summary>Page size for listings (service default 5000); settable by tests to exercise NextMarker.</summary>
    internal int? ListPageSize { get; set; }

    /// <summary>Creates the container (private access); an existing container is fine.</summary>
    public async Task CreateIfNotExistsAsync(CancellationToken ct = default)
    {
        var request = new StorageRequest(StorageService.Blob, HttpMethod.Put, _containerUri + "?restype=container", "Create container");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        if (!await StorageTransport.IsErrorAsync(response, HttpStatusCode.Conflict, "ContainerAlreadyExists", ct).ConfigureAwait(false))
        {
            await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        }

        _knownToExist = true;
    }

    /// <summary>Deletes the container and its blobs; false when it did not exist.</summary>
    public async Task<bool> DeleteContainerAsync(CancellationToken ct = default)
    {
        var request = new StorageRequest(StorageService.Blob, HttpMethod.Delete, _containerUri + "?restype=container", "Delete container");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        _knownToExist = false;
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Writes a block blob in one Put Blob and returns its ETag. <paramref name="ifMatch"/> makes it a
    /// conditional overwrite (<see cref="StoragePreconditionFailedException"/> when the ETag moved);
    /// <paramref name="ifNoneMatchAny"/> makes it create-only (<see cref="StorageConflictException"/> when the blob exists).
    /// </summary>
    public async Task<string> UploadAsync(string blobName, ReadOnlyMemory<byte> content, string contentType = "application/octet-stream", string? ifMatch = null, bool ifNoneMatchAny = false, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        var request = new StorageRequest(StorageService.Blob, HttpMethod.Put, BlobUri(blobName), "Put blob")
            .Header("x-ms-blob-type", "BlockBlob")
            .Header("If-Match", ifMatch)
            .Header("If-None-Match", ifNoneMatchAny ? "*" : null)
            .Body(content, contentType);
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        if (ifNoneMatchAny && response.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            // Azure reports an existing blob under If-None-Match: * as 409 BlobAlreadyExists, some versions as 412.
            var (code, _) = await StorageErrorReader.ReadAsync(response, ct).ConfigureAwait(false);
            throw new StorageConflictException($"Put blob {StorageTransport.ResourcePath(request)} failed with 409 ({code ?? "BlobAlreadyExists"}): the blob exists.", code);
        }

        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        return Header(response, "ETag") ?? string.Empty;
    }

    /// <summary>Reads a whole blob; null when it does not exist.</summary>
    public async Task<BlobContent?> DownloadAsync(string blobName, CancellationToken ct = default)
    {
        var request = new StorageRequest(StorageService.Blob, HttpMethod.Get, BlobUri(blobName), "Get blob");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        var contentType = response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var ctValues)
            ? ctValues.ToString()
            : "application/octet-stream";
        var lastModified = response.Content.Headers.LastModified ?? DateTimeOffset.MinValue;
        return new BlobContent(bytes, contentType, Header(response, "ETag") ?? string.Empty, lastModified);
    }

    /// <summary>Blobs (flat listing) whose names start with <paramref name="prefix"/>, following NextMarker.</summary>
    public async IAsyncEnumerable<BlobItem> ListAsync(string? prefix = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        string? marker = null;
        do
        {
            var uri = _containerUri + "?restype=container&comp=list";
            if (!string.IsNullOrEmpty(prefix))
            {
                uri += "&prefix=" + Uri.EscapeDataString(prefix);
            }

            if (ListPageSize is { } pageSize)
            {
                uri += "&maxresults=" + pageSize.ToString(CultureInfo.InvariantCulture);
            }

            if (marker is not null)
            {
                uri += "&marker=" + Uri.EscapeDataString(marker);
            }

            var request = new StorageRequest(StorageService.Blob, HttpMethod.Get, uri, "List blobs");
            List<BlobItem> items;
            using (var response = await _transport.SendAsync(request, ct).ConfigureAwait(false))
            {
                await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
                await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                (items, marker) = BlobListReader.Read(stream);
            }

            foreach (var item in items)
            {
                yield return item;
            }
        }
        while (marker is not null);
    }

    /// <summary>Deletes a blob (and its snapshots); false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string blobName, CancellationToken ct = default)
    {
        var request = new StorageRequest(StorageService.Blob, HttpMethod.Delete, BlobUri(blobName), "Delete blob")
            .Header("x-ms-delete-snapshots", "include");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Tries to take a lease (15-60 s, or <see cref="Timeout.InfiniteTimeSpan"/>) on a blob, creating an empty
    /// blob first if needed. Returns the lease id, or null when someone else holds the lease. A client-chosen
    /// lease id is proposed, so a retry after a lost response re-acquires our own lease instead of failing.
    /// </summary>
    public async Task<string?> TryAcquireLeaseAsync(string blobName, TimeSpan duration, CancellationToken ct = default)
    {
        var seconds = LeaseSeconds(duration);
        var leaseId = Guid.NewGuid().ToString("D");
        for (var attempt = 0; ; attempt++)
        {
            var request = LeaseRequest(blobName, "acquire", "Acquire lease")
                .Header("x-ms-lease-duration", seconds)
                .Header("x-ms-proposed-lease-id", leaseId);
            using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return Header(response, "x-ms-lease-id") ?? leaseId;
            }

            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                var (code, _) = await StorageErrorReader.ReadAsync(response, ct).ConfigureAwait(false);
                if (code is null or "LeaseAlreadyPresent")
                {
                    return null;
                }
            }

            if (response.StatusCode == HttpStatusCode.NotFound && attempt == 0)
            {
                await CreateEmptyIfMissingAsync(blobName, ct).ConfigureAwait(false);
                continue;
            }

            await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Renews our lease; <see cref="StorageConflictException"/> when it was lost to someone else.</summary>
    public async Task RenewLeaseAsync(string blobName, string leaseId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseId);
        var request = LeaseRequest(blobName, "renew", "Renew lease").Header("x-ms-lease-id", leaseId);
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
    }

    /// <summary>Releases our lease so others can acquire it at once.</summary>
    public async Task ReleaseLeaseAsync(string blobName, string leaseId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseId);
        var request = LeaseRequest(blobName, "release", "Release lease").Header("x-ms-lease-id", leaseId);
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
    }

    /// <summary>Creates the container once per client; later calls are free.</summary>
    internal Task EnsureExistsAsync(CancellationToken ct) => _knownToExist ? Task.CompletedTask : CreateIfNotExistsAsync(ct);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString() : null;

    private static string LeaseSeconds(TimeSpan duration)
    {
        if (duration == Timeout.InfiniteTimeSpan)
        {
            return "-1";
        }

        if (duration < TimeSpan.FromSeconds(15) || duration > TimeSpan.FromSeconds(60) || duration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "A lease lasts 15 to 60 whole seconds, or Timeout.InfiniteTimeSpan.");
        }

        return ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture);
    }

    private async Task CreateEmptyIfMissingAsync(string blobName, CancellationToken ct)
    {
        var request = new StorageRequest(StorageService.Blob, HttpMethod.Put, BlobUri(blobName), "Put blob")
            .Header("x-ms-blob-type", "BlockBlob")
            .Header("If-None-Match", "*")
            .Body(ReadOnlyMemory<byte>.Empty, "application/octet-stream");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed)
        {
            return; // Someone else created it (and may hold the lease); the acquire decides.
        }

        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
    }

    private StorageRequest LeaseRequest(string blobName, string action, string operation) =>
        new StorageRequest(StorageService.Blob, HttpMethod.Put, BlobUri(blobName) + "?comp=lease", operation)
            .Header("x-ms-lease-action", action);

    private string BlobUri(string blobName) => _containerUri + "/" + StorageNames.EscapeBlobName(blobName);
}
