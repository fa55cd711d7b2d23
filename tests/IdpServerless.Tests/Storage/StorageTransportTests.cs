using System.Diagnostics;
using System.Net;
using IdpServerless.Storage;

namespace IdpServerless.Tests.Storage;

/// <summary>Retry, timeout, error mapping and secret hygiene of the transport, against a scripted handler.</summary>
public class StorageTransportTests
{
    private static readonly StorageClientOptions FastRetries = new() { RetryBaseDelay = TimeSpan.FromMilliseconds(1), MaxRetryDelay = TimeSpan.FromMilliseconds(200) };

    private static StorageClient Client(FakeStorageHandler handler, StorageAccount? account = null, StorageClientOptions? options = null) =>
        new(account ?? StorageAccount.ForAzurite(1, 2, 3), new HttpClient(handler), options: options ?? FastRetries);

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task Transient_status_is_retried_until_success(HttpStatusCode transient)
    {
        var handler = new FakeStorageHandler((_, i) => FakeStorageHandler.Status(i < 2 ? transient : HttpStatusCode.OK));

        var deleted = await Client(handler).GetContainer("c1x").DeleteAsync("blob");

        Assert.True(deleted);
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task Each_attempt_is_signed_afresh()
    {
        var handler = new FakeStorageHandler((_, i) => FakeStorageHandler.Status(i == 0 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.Accepted));

        await Client(handler).GetContainer("c1x").DeleteAsync("blob");

        Assert.All(handler.Requests, r => Assert.StartsWith("SharedKey devstoreaccount1:", r.Headers["Authorization"]));
        Assert.All(handler.Requests, r => Assert.Equal("2021-12-02", r.Headers["x-ms-version"]));
    }

    [Fact]
    public async Task Client_errors_are_not_retried_and_map_to_typed_exceptions()
    {
        var handler = new FakeStorageHandler((_, _) => FakeStorageHandler.Status(HttpStatusCode.Conflict, "EntityAlreadyExists"));

        var ex = await Assert.ThrowsAsync<StorageConflictException>(() => Client(handler).GetTable("t1x").AddEntityAsync(new TableEntity("p", "r")));

        Assert.Single(handler.Requests);
        Assert.Equal("EntityAlreadyExists", ex.ErrorCode);
        Assert.Contains("Insert entity", ex.Message);
        Assert.Contains("/devstoreaccount1/t1x", ex.Message);
    }

    [Fact]
    public async Task Bad_request_is_not_retried()
    {
        var handler = new FakeStorageHandler((_, _) => FakeStorageHandler.Status(HttpStatusCode.BadRequest, "InvalidInput"));

        var ex = await Assert.ThrowsAsync<StorageException>(() => Client(handler).GetQueue("q1x").ClearAsync());

        Assert.Single(handler.Requests);
        Assert.Equal(400, ex.Status);
    }

    [Fact]
    public async Task Persistent_throttling_gives_StorageThrottledException_after_four_attempts()
    {
        var handler = new FakeStorageHandler((_, _) => FakeStorageHandler.Status(HttpStatusCode.ServiceUnavailable, "ServerBusy"));

        var ex = await Assert.ThrowsAsync<StorageThrottledException>(() => Client(handler).GetQueue("q1x").ClearAsync());

        Assert.Equal(4, handler.Requests.Count);
        Assert.Equal(503, ex.Status);
        Assert.Equal("ServerBusy", ex.ErrorCode);
    }

    [Fact]
    public async Task Retry_after_is_honoured()
    {
        var handler = new FakeStorageHandler((_, i) =>
        {
            var r = FakeStorageHandler.Status(i == 0 ? HttpStatusCode.TooManyRequests : HttpStatusCode.NoContent);
            r.Headers.TryAddWithoutValidation("Retry-After", "1");
            return r;
        });
        var options = new StorageClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1) };
        var watch = Stopwatch.StartNew();

        await Client(handler, options: options).GetQueue("q1x").ClearAsync();

        Assert.Equal(2, handler.Requests.Count);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after {watch.Elapsed}");
    }

    [Fact]
    public async Task Network_failures_are_retried_then_surface_as_StorageException_status_0()
    {
        var handler = new FakeStorageHandler((_, _) => throw new HttpRequestException("connection refused"));

        var ex = await Assert.ThrowsAsync<StorageException>(() => Client(handler).GetQueue("q1x").ClearAsync());

        Assert.Equal(4, handler.Requests.Count);
        Assert.Equal(0, ex.Status);
        Assert.IsType<HttpRequestException>(ex.InnerException);
    }

    [Fact]
    public async Task Per_attempt_timeout_is_retried_then_reported()
    {
        var attempts = 0;
        var slow = new DelegatingStub(async ct =>
        {
            Interlocked.Increment(ref attempts);
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return FakeStorageHandler.Status(HttpStatusCode.OK);
        });
        var options = new StorageClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(100), MaxRetryAttempts = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(1) };
        var client = new StorageClient(StorageAccount.ForAzurite(1, 2, 3), new HttpClient(slow), options: options);

        var ex = await Assert.ThrowsAsync<StorageException>(() => client.GetQueue("q1x").ClearAsync());

        Assert.Equal(2, attempts);
        Assert.Equal(408, ex.Status);
    }

    [Fact]
    public async Task Sas_is_appended_to_the_url_but_never_appears_in_errors()
    {
        var handler = new FakeStorageHandler((_, _) => FakeStorageHandler.Status(HttpStatusCode.Forbidden, "AuthorizationFailure"));
        var account = StorageAccount.Parse(
            "BlobEndpoint=https://acme.blob.core.windows.net;QueueEndpoint=https://acme.queue.core.windows.net;TableEndpoint=https://acme.table.core.windows.net;"
            + "SharedAccessSignature=sv=2021-12-02&sig=TOPSECRETSIG");

        var ex = await Assert.ThrowsAsync<StorageException>(() => Client(handler, account).GetQueue("q1x").GetApproximateCountAsync());

        Assert.Contains("sig=TOPSECRETSIG", handler.Requests[0].Uri.Query);
        Assert.Contains("comp=metadata", handler.Requests[0].Uri.Query);
        Assert.False(handler.Requests[0].Headers.ContainsKey("Authorization"));
        Assert.DoesNotContain("TOPSECRETSIG", ex.Message);
        Assert.Equal(403, ex.Status);
    }

    [Fact]
    public async Task Bearer_accounts_send_the_token_and_require_a_provider()
    {
        var handler = new FakeStorageHandler((_, _) => FakeStorageHandler.Status(HttpStatusCode.NoContent));
        var account = StorageAccount.Parse("AccountName=acme");

        Assert.Throws<ArgumentException>(() => new StorageClient(account, new HttpClient(handler)));
        var client = new StorageClient(account, new HttpClient(handler), new StaticTokens("tok123"));
        await client.GetQueue("q1x").ClearAsync();

        Assert.Equal("Bearer tok123", handler.Requests[0].Headers["Authorization"]);
        Assert.Equal("https://acme.queue.core.windows.net/q1x/messages", handler.Requests[0].Uri.AbsoluteUri);
    }

    [Fact]
    public void Invalid_names_fail_fast()
    {
        var client = Client(new FakeStorageHandler((_, _) => throw new InvalidOperationException()));

        Assert.Throws<ArgumentException>(() => client.GetTable("1abc"));
        Assert.Throws<ArgumentException>(() => client.GetTable("ab"));
        Assert.Throws<ArgumentException>(() => client.GetQueue("Upper"));
        Assert.Throws<ArgumentException>(() => client.GetContainer("a--b"));
        Assert.Same(client.GetTable("Catalog"), client.GetTable("Catalog"));
    }

    private sealed class StaticTokens(string token) : IStorageTokenProvider
    {
        public ValueTask<string> GetTokenAsync(string resource, CancellationToken ct) =>
            resource == "https://storage.azure.com/" ? ValueTask.FromResult(token) : throw new ArgumentException(resource);
    }

    private sealed class DelegatingStub(Func<CancellationToken, Task<HttpResponseMessage>> send) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => send(cancellationToken);
    }
}
