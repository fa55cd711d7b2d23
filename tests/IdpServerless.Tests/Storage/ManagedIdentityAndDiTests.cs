using System.Net;
using Azure.Identity;
using IdpServerless.Storage;
using IdpServerless.Tests.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Storage;

/// <summary>Process-wide environment variables (App Service's managed identity endpoint): not run beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process-environment";
}

[Collection(ProcessEnvironmentCollection.Name)]
public class ManagedIdentityAndDiTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public async Task An_app_service_managed_identity_token_is_fetched_once_and_sent_to_storage()
    {
        var tokenCalls = 0;
        await using var identity = await FakeServer.StartAsync(app => app.MapGet("/msi/token", (HttpRequest r) =>
        {
            Interlocked.Increment(ref tokenCalls);
            return r.Headers["X-IDENTITY-HEADER"] == "identity-header" && r.Query["resource"] == "https://storage.azure.com" && r.Query["client_id"] == "client-1"
                ? Results.Json(new { access_token = "mi-token", expires_on = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), resource = "https://storage.azure.com", token_type = "Bearer" })
                : Results.StatusCode(400);
        }));
        var storage = new FakeStorageHandler((_, _) => FakeStorageHandler.Status(HttpStatusCode.NoContent));
        var config = Config(new()
        {
            ["AzureWebJobsStorage:accountName"] = "acme",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "client-1",
        });
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", identity.Url + "/msi/token");
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", "identity-header");
        try
        {
            var credential = StorageServiceCollectionExtensions.CreateCredential(config);
            var client = new StorageClient(StorageServiceCollectionExtensions.ReadAccount(config), new HttpClient(storage), credential);

            await client.GetQueue("jobs").ClearAsync();
            await client.GetQueue("jobs").ClearAsync();
        }
        finally
        {
            Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", null);
            Environment.SetEnvironmentVariable("IDENTITY_HEADER", null);
        }

        Assert.Equal(1, tokenCalls);
        Assert.All(storage.Requests, r => Assert.Equal("Bearer mi-token", r.Headers["Authorization"]));
        Assert.Equal("https://acme.queue.core.windows.net/jobs/messages", storage.Requests[0].Uri.AbsoluteUri);
    }

    [Fact]
    public void AddAzureStorage_reads_the_connection_string()
    {
        using var sp = new ServiceCollection().AddAzureStorage(Config(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" })).BuildServiceProvider();

        var client = sp.GetRequiredService<StorageClient>();

        Assert.Same(sp.GetRequiredService<StorageAccount>(), client.Account);
        Assert.Equal("devstoreaccount1", client.Account.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1"), client.QueueService.Uri);
        Assert.Same(client, sp.GetRequiredService<StorageClient>());
        Assert.Same(TimeProvider.System, sp.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void AddAzureStorage_supports_identity_based_settings_as_the_functions_host_names_them()
    {
        var config = Config(new()
        {
            ["AzureWebJobsStorage:blobServiceUri"] = "https://acme.blob.core.windows.net",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://acme.queue.core.windows.net",
            ["AzureWebJobsStorage__tableServiceUri"] = "https://acme.table.core.windows.net",
        });
        using var sp = new ServiceCollection().AddAzureStorage(config).BuildServiceProvider();

        var client = sp.GetRequiredService<StorageClient>();

        Assert.Equal(StorageCredentialKind.BearerToken, client.Account.CredentialKind);
        Assert.Equal("acme", client.Account.AccountName);
        Assert.Equal(new Uri("https://acme.table.core.windows.net"), client.TableService.Uri);
        Assert.IsType<DefaultAzureCredential>(sp.GetRequiredService<Azure.Core.TokenCredential>());

        config["AzureWebJobsStorage:credential"] = "managedidentity";
        Assert.IsType<ManagedIdentityCredential>(StorageServiceCollectionExtensions.CreateCredential(config));
    }

    [Fact]
    public void AddAzureStorage_without_settings_fails_with_a_clear_message()
    {
        using var sp = new ServiceCollection().AddAzureStorage(Config([])).BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<StorageClient>());
        Assert.Contains("AzureWebJobsStorage", ex.Message);
    }
}
