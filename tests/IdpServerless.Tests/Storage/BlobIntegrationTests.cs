using System.Text;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public class BlobIntegrationTests(AzuriteFixture azurite)
{
    private readonly StorageClient _client = azurite.CreateClient();

    private async Task<BlobContainerClient> NewContainerAsync()
    {
        var container = _client.GetContainer(AzuriteFixture.UniqueName("c"));
        await container.CreateIfNotExistsAsync();
        await container.CreateIfNotExistsAsync();
        return container;
    }

    [Fact]
    public async Task Upload_download_delete_round_trip()
    {
        var container = await NewContainerAsync();
        var content = Encoding.UTF8.GetBytes("{\"hello\":\"wörld\"}");

        var etag = await container.UploadAsync("docs/a b/é.json", content, "application/json; charset=utf-8");
        var read = await container.DownloadAsync("docs/a b/é.json");
        var deleted = await container.DeleteAsync("docs/a b/é.json");
        var deletedAgain = await container.DeleteAsync("docs/a b/é.json");

        Assert.NotNull(read);
        Assert.Equal(content, read.Content);
        Assert.Equal("application/json; charset=utf-8", read.ContentType);
        Assert.Equal(etag, read.ETag);
        Assert.True(read.LastModified > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.True(deleted);
        Assert.False(deletedAgain);
        Assert.Null(await container.DownloadAsync("docs/a b/é.json"));
    }

    [Fact]
    public async Task Empty_blob_round_trips()
    {
        var container = await NewContainerAsync();

        await container.UploadAsync("empty", ReadOnlyMemory<byte>.Empty);

        Assert.Empty((await container.DownloadAsync("empty"))!.Content);
    }

    [Fact]
    public async Task List_filters_by_prefix_and_follows_next_marker()
    {
        var container = await NewContainerAsync();
        foreach (var name in new[] { "a/1", "a/2", "a/3", "b/1", "ab" })
        {
            await container.UploadAsync(name, Encoding.UTF8.GetBytes(name), "text/plain");
        }

        container.ListPageSize = 2;
        var underA = await container.ListAsync("a/").ToListAsync();
        var all = await container.ListAsync().ToListAsync();

        Assert.Equal(["a/1", "a/2", "a/3"], underA.Select(b => b.Name));
        Assert.Equal(["a/1", "a/2", "a/3", "ab", "b/1"], all.Select(b => b.Name));
        Assert.All(all, b => Assert.Equal(b.Name.Length, b.Length));
        Assert.All(all, b => Assert.Equal("text/plain", b.ContentType));
        Assert.All(all, b => Assert.False(string.IsNullOrEmpty(b.ETag)));
    }

    [Fact]
    public async Task Conditional_uploads()
    {
        var container = await NewContainerAsync();
        var first = await container.UploadAsync("lock.json", "v1"u8.ToArray(), ifNoneMatchAny: true);

        var exists = await Assert.ThrowsAsync<StorageConflictException>(
            () => container.UploadAsync("lock.json", "v2"u8.ToArray(), ifNoneMatchAny: true));
        var second = await container.UploadAsync("lock.json", "v2"u8.ToArray(), ifMatch: first);
        var stale = await Assert.ThrowsAsync<StoragePreconditionFailedException>(
            () => container.UploadAsync("lock.json", "v3"u8.ToArray(), ifMatch: first));

        Assert.Equal(409, exists.Status);
        Assert.NotEqual(first, second);
        Assert.Equal(412, stale.Status);
        Assert.Equal("v2"u8.ToArray(), (await container.DownloadAsync("lock.json"))!.Content);
    }

    [Fact]
    public async Task Lease_acquire_second_acquire_renew_release()
    {
        var container = await NewContainerAsync();

        var lease = await container.TryAcquireLeaseAsync("singleton/job", TimeSpan.FromSeconds(15));
        var contender = await container.TryAcquireLeaseAsync("singleton/job", TimeSpan.FromSeconds(15));
        await container.RenewLeaseAsync("singleton/job", lease!);
        var wrongRenew = await Assert.ThrowsAsync<StorageConflictException>(
            () => container.RenewLeaseAsync("singleton/job", Guid.NewGuid().ToString()));
        await container.ReleaseLeaseAsync("singleton/job", lease!);
        var next = await container.TryAcquireLeaseAsync("singleton/job", Timeout.InfiniteTimeSpan);

        Assert.NotNull(lease);
        Assert.Null(contender);
        Assert.NotNull(wrongRenew.ErrorCode);
        Assert.NotNull(next);
        Assert.NotEqual(lease, next);
        Assert.NotNull(await container.DownloadAsync("singleton/job"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => container.TryAcquireLeaseAsync("x", TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Missing_container_surfaces_not_found()
    {
        var container = _client.GetContainer(AzuriteFixture.UniqueName("c"));

        var ex = await Assert.ThrowsAsync<StorageNotFoundException>(() => container.UploadAsync("x", "y"u8.ToArray()));

        Assert.Equal("ContainerNotFound", ex.ErrorCode);
        // Reads and deletes treat a missing container like a missing blob: a fresh installation has written nothing yet.
        Assert.Null(await container.DownloadAsync("x"));
        Assert.False(await container.DeleteAsync("x"));
        Assert.False(await container.DeleteContainerAsync());
    }
}
