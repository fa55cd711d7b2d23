using System.Text.Json;
using IdpServerless.Storage;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Docs.Building;

/// <summary>
/// Built sites in the <c>techdocs</c> container: <c>{kind}/{ns}/{name}/pages/{path}.json</c>, <c>{kind}/{ns}/{name}/assets/{path}</c>,
/// and the site index <c>_sites/{kind}/{ns}/{name}.json</c>, written last, so a reader sees either the old site or the whole new one.
/// Files the new build no longer has are deleted after the index moved.
/// </summary>
public sealed class DocsStore(StorageClient storage, IOptions<DocsOptions> options)
{
    public const string SitesPrefix = "_sites/";
    private const string LocksPrefix = "_locks/";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private BlobContainerClient Container => storage.GetContainer(options.Value.Container);

    public static string Prefix(string entityRef)
    {
        var (kind, ns, name) = DocsKeys.Split(entityRef) ?? throw new ArgumentException($"'{entityRef}' is not kind:namespace/name.", nameof(entityRef));
        return $"{kind}/{ns}/{name}/";
    }

    public static string SiteBlob(string entityRef) => SitesPrefix + Prefix(entityRef).TrimEnd('/') + ".json";

    public static string PageBlob(string entityRef, string path) => Prefix(entityRef) + "pages/" + path + ".json";

    public static string AssetBlob(string entityRef, string path) => Prefix(entityRef) + "assets/" + path;

    public Task EnsureAsync(CancellationToken ct) => Container.CreateIfNotExistsAsync(ct);

    /// <summary>Stores the site and returns the ETag of its index blob.</summary>
    public async Task<string> SaveAsync(BuiltSite built, CancellationToken ct)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var entityRef = built.Site.EntityRef;
        var uploads = built.Assets.Select(a => (Name: AssetBlob(entityRef, a.Key), Bytes: a.Value.Bytes, Type: a.Value.ContentType))
            .Concat(built.Pages.Select(p => (Name: PageBlob(entityRef, p.Key), Bytes: JsonSerializer.SerializeToUtf8Bytes(p.Value, Json), Type: "application/json")))
            .ToList();
        await Parallel.ForEachAsync(uploads, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (u, token) =>
            await Container.UploadAsync(u.Name, u.Bytes, u.Type, ct: token).ConfigureAwait(false)).ConfigureAwait(false);
        var etag = await Container.UploadAsync(SiteBlob(entityRef), JsonSerializer.SerializeToUtf8Bytes(built.Site, Json), "application/json", ct: ct).ConfigureAwait(false);

        var keep = uploads.Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
        var stale = new List<string>();
        await foreach (var blob in Container.ListAsync(Prefix(entityRef), ct).ConfigureAwait(false))
        {
            if (!keep.Contains(blob.Name))
            {
                stale.Add(blob.Name);
            }
        }

        foreach (var name in stale)
        {
            await Container.DeleteAsync(name, ct).ConfigureAwait(false);
        }

        return etag;
    }

    /// <summary>The site index, or null when the site was never built.</summary>
    public async Task<(DocsSite Site, string ETag)?> GetSiteAsync(string entityRef, CancellationToken ct)
    {
        var blob = await DownloadAsync(SiteBlob(entityRef), ct).ConfigureAwait(false);
        return blob is null ? null : (JsonSerializer.Deserialize<DocsSite>(blob.Content, Json)!, blob.ETag);
    }

    public async Task<DocPage?> GetPageAsync(string entityRef, string path, CancellationToken ct)
    {
        var blob = await DownloadAsync(PageBlob(entityRef, path), ct).ConfigureAwait(false);
        return blob is null ? null : JsonSerializer.Deserialize<DocPage>(blob.Content, Json);
    }

    public Task<BlobContent?> GetAssetAsync(string entityRef, string path, CancellationToken ct) =>
        DownloadAsync(AssetBlob(entityRef, path), ct);

    /// <summary>Every site index (name, ETag), for loading and following other instances' builds.</summary>
    public async Task<List<BlobItem>> ListSitesAsync(CancellationToken ct)
    {
        var result = new List<BlobItem>();
        try
        {
            await foreach (var blob in Container.ListAsync(SitesPrefix, ct).ConfigureAwait(false))
            {
                result.Add(blob);
            }
        }
        catch (StorageNotFoundException)
        {
            // No build yet: the container does not exist.
        }

        return result;
    }

    /// <summary>Reads a site index by blob name.</summary>
    public async Task<DocsSite?> ReadSiteBlobAsync(string blobName, CancellationToken ct) =>
        await DownloadAsync(blobName, ct).ConfigureAwait(false) is { } blob ? JsonSerializer.Deserialize<DocsSite>(blob.Content, Json) : null;

    /// <summary>A lease on the site's lock blob (one build of a site at a time across instances), or null when another build holds it.</summary>
    public async Task<string?> TryLockAsync(string entityRef, CancellationToken ct)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        return await Container.TryAcquireLeaseAsync(LockBlob(entityRef), TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
    }

    public Task UnlockAsync(string entityRef, string leaseId, CancellationToken ct) =>
        Container.ReleaseLeaseAsync(LockBlob(entityRef), leaseId, ct);

    private static string LockBlob(string entityRef) => LocksPrefix + Prefix(entityRef).TrimEnd('/');

    private async Task<BlobContent?> DownloadAsync(string name, CancellationToken ct)
    {
        try
        {
            return await Container.DownloadAsync(name, ct).ConfigureAwait(false);
        }
        catch (StorageNotFoundException)
        {
            return null;
        }
    }
}
