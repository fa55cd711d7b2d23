using System.Diagnostics;
using System.Net;
using Azure.Core;
using IdpServerless.Storage;

namespace IdpServerless.Tests.Storage;

/// <summary>
/// How our client drives the Azure SDK: retries, timeouts, the pinned API version, error mapping and secret
/// hygiene, against a scripted handler (the SDK sends through the HttpClient we give it).
/// </summary>
public class StorageClientWiringTests
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
        var handler = new FakeStorageHandler((_, i) => FakeStorageHandler.Status(i < 2 ? transient : HttpStatusCode.NoContent));

        await Client(handler).GetQueue("q1x").ClearAsync();

        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task Every_attempt_is_signed_and_sends_the_pinned_api_version()
    {
        var handler = new FakeStorageHandler((r, i) => FakeStorageHandler.Status(
            i == 0 ? HttpStatusCode.ServiceUnavailable : r.RequestUri!.AbsolutePath.EndsWith("/messages", StringComparison.Ordinal) ? HttpStatusCode.NoContent : HttpStatusCode.Accepted));
        var client = Client(handler);

        await client.GetContainer("c1x").DeleteAsync("blob");
        await client.GetQueue("q1x").ClearAsync();
        await Assert.ThrowsAsync<StorageException>(() => client.GetTable("t1x").AddEntityAsync(new TableEntity("p", "r")));

        Assert.All(handler.Requests, r => Assert.StartsWith("SharedKey", r.Headers["Authorization"]));
        // Azurite 3.37 knows versions up to 2026-06-06; the SDKs' own defaults are newer.
        Assert.Equal(["2026-06-06", "2026-06-06", "2026-06-06"], handler.Requests.Take(3).Select(r => r.Headers["x-ms-version"]));
        Assert.Equal("2020-12-06", handler.Requests[^1].Headers["x-ms-version"]);
    }

    [Fact]
    public async Task Client_errors_are_not_retried_and_map_to_typed_exceptions()
    {
        // The Table service names the error in an OData JSON body.
        var handler = new FakeStorageHandler((_, _) => new HttpResponseMessage(HttpStatusCode.Conflict)
        {
            Content = new StringContent("{\"odata.error\":{\"code\":\"EntityAlreadyExists\",\"message\":{\"lang\":\"en-US\",\"value\":\"The specified entity already exists.\\nRequestId:1\"}}}", System.Text.Encoding.UTF8, "application/json"),
        });

        var ex = await Assert.ThrowsAsync<StorageConflictException>(() => Client(handler).GetTable("t1x").AddEntityAsync(new TableEntity("p", "r")));

        Assert.Single(handler.Requests);
        Assert.Equal("EntityAlreadyExists", ex.ErrorCode);
        Assert.Contains("Insert entity", ex.Message);
        Assert.Contains("/devstoreaccount1/t1x", ex.Message);
        Assert.DoesNotContain("\n", ex.Message);
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
        Assert.Equal("NetworkError", ex.ErrorCode);
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
    public async Task The_callers_own_cancellation_stays_a_cancellation()
    {
        var slow = new DelegatingStub(async ct =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return FakeStorageHandler.Status(HttpStatusCode.OK);
        });
        var client = new StorageClient(StorageAccount.ForAzurite(1, 2, 3), new HttpClient(slow), options: FastRetries);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetQueue("q1x").ClearAsync(cts.Token));
    }

    [Fact]
    public async Task Sas_is_sent_but_never_appears_in_errors()
    {
        var handler = new FakeStorageHandler((_, _) => FakeStorageHandler.Status(HttpStatusCode.Forbidden, "AuthorizationFailure"));
        var account = StorageAccount.Parse(
            "BlobEndpoint=https://acme.blob.core.windows.net;QueueEndpoint=https://acme.queue.core.windows.net;TableEndpoint=https://acme.table.core.windows.net;"
            + "SharedAccessSignature=sv=2021-12-02&sig=TOPSECRETSIG");

        var ex = await Assert.ThrowsAsync<StorageException>(() => Client(handler, account).GetQueue("q1x").GetApproximateCountAsync());

        Assert.Contains("sig=TOPSECRETSIG", handler.Requests[0].Uri.Query);
        Assert.Contains("comp=metadata", handler.Requests[0].Uri.Query);
        Assert.False(handler.Requests[0].Headers.ContainsKey("Authorization"));
        Assert.DoesNotContain("TOPSECRETSIG", ex.ToString());
        Assert.Equal(403, ex.Status);
    }

    [Fact]
    public async Task Bearer_accounts_send_the_token_and_require_a_credential()
    {
        var handler = new FakeStorageHandler((_, _) => FakeStorageHandler.Status(HttpStatusCode.NoContent));
        var account = StorageAccount.Parse("AccountName=acme");

        Assert.Throws<ArgumentException>(() => new StorageClient(account, new HttpClient(handler)));
        var client = new StorageClient(account, new HttpClient(handler), new StaticCredential("tok123"));
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

    /// <summary>A credential that hands out one token for Azure Storage's scope.</summary>
    internal sealed class StaticCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            requestContext.Scopes.Contains("https://storage.azure.com/.default")
                ? new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1))
                : throw new ArgumentException(string.Join(' ', requestContext.Scopes));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private sealed class DelegatingStub(Func<CancellationToken, Task<HttpResponseMessage>> send) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => send(cancellationToken);
    }
}
