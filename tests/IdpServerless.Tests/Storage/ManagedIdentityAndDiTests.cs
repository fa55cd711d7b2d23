using System.Net;
using System.Text;
using IdpServerless.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Storage;

public class ManagedIdentityAndDiTests
{
    private static HttpResponseMessage Token(string token, DateTimeOffset expiresOn) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(
            $"{{\"access_token\":\"{token}\",\"expires_on\":\"{expiresOn.ToUnixTimeSeconds()}\",\"resource\":\"https://storage.azure.com/\",\"token_type\":\"Bearer\"}}",
            Encoding.UTF8, "application/json"),
    };

    [Fact]
    public async Task App_service_endpoint_is_used_with_its_header_and_tokens_are_cached()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-11-21T10:00:00Z"));
        var calls = 0;
        var handler = new FakeStorageHandler((_, _) => Token("tok" + ++calls, clock.GetUtcNow().AddHours(1)));
        var env = new Dictionary<string, string?> { ["IDENTITY_ENDPOINT"] = "http://127.0.0.1:41234/msi/token", ["IDENTITY_HEADER"] = "hdr" };
        using var provider = new ManagedIdentityTokenProvider(new HttpClient(handler), "client-1", clock, n => env.GetValueOrDefault(n));

        var first = await provider.GetTokenAsync("https://storage.azure.com/", default);
        var second = await provider.GetTokenAsync("https://storage.azure.com/", default);

        Assert.Equal("tok1", first);
        Assert.Equal("tok1", second);
        var request = Assert.Single(handler.Requests);
        Assert.Equal("hdr", request.Headers["X-IDENTITY-HEADER"]);
        Assert.StartsWith("http://127.0.0.1:41234/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fstorage.azure.com%2F", request.Uri.AbsoluteUri);
        Assert.Contains("client_id=client-1", request.Uri.Query);
    }

    [Fact]
    public async Task Token_is_refreshed_within_five_minutes_of_expiry()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-11-21T10:00:00Z"));
        var calls = 0;
        var handler = new FakeStorageHandler((_, _) => Token("tok" + ++calls, clock.GetUtcNow().AddMinutes(60)));
        using var provider = new ManagedIdentityTokenProvider(new HttpClient(handler), time: clock, environment: _ => null);

        Assert.Equal("tok1", await provider.GetTokenAsync("r", default));
        clock.Now = clock.Now.AddMinutes(54);
        Assert.Equal("tok1", await provider.GetTokenAsync("r", default));
        clock.Now = clock.Now.AddMinutes(2);
        Assert.Equal("tok2", await provider.GetTokenAsync("r", default));
        Assert.Equal("true", handler.Requests[0].Headers["Metadata"]);
        Assert.StartsWith("http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01", handler.Requests[0].Uri.AbsoluteUri);
    }

    [Fact]
    public async Task Failed_token_request_throws_without_retrying_in_a_loop()
    {
        var handler = new FakeStorageHandler((_, _) => FakeStorageHandler.Status(HttpStatusCode.BadRequest));
        using var provider = new ManagedIdentityTokenProvider(new HttpClient(handler), environment: _ => null);

        var ex = await Assert.ThrowsAsync<StorageException>(() => provider.GetTokenAsync("r", default).AsTask());

        Assert.Equal("ManagedIdentityUnavailable", ex.ErrorCode);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public void AddAzureStorage_reads_the_connection_string()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        }).Build();
        using var sp = new ServiceCollection().AddAzureStorage(config).BuildServiceProvider();

        var client = sp.GetRequiredService<StorageClient>();

        Assert.Same(sp.GetRequiredService<StorageAccount>(), client.Account);
        Assert.Equal("devstoreaccount1", client.Account.AccountName);
        Assert.Same(client, sp.GetRequiredService<StorageClient>());
        Assert.Same(TimeProvider.System, sp.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void AddAzureStorage_supports_identity_based_settings()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage:blobServiceUri"] = "https://acme.blob.core.windows.net",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://acme.queue.core.windows.net",
            ["AzureWebJobsStorage__tableServiceUri"] = "https://acme.table.core.windows.net",
        }).Build();
        using var sp = new ServiceCollection().AddAzureStorage(config).BuildServiceProvider();

        var client = sp.GetRequiredService<StorageClient>();

        Assert.Equal(StorageCredentialKind.BearerToken, client.Account.CredentialKind);
        Assert.Equal("acme", client.Account.AccountName);
        Assert.IsType<ManagedIdentityTokenProvider>(sp.GetRequiredService<IStorageTokenProvider>());
    }

    [Fact]
    public void AddAzureStorage_without_settings_fails_with_a_clear_message()
    {
        var config = new ConfigurationBuilder().Build();
        using var sp = new ServiceCollection().AddAzureStorage(config).BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<StorageClient>());
        Assert.Contains("AzureWebJobsStorage", ex.Message);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
