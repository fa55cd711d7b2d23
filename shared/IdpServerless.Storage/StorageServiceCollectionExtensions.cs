using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IdpServerless.Storage;

/// <summary>Registers the storage client the way the Functions host configures storage (<c>AzureWebJobsStorage</c>).</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>Name of the <see cref="IHttpClientFactory"/> client used for storage traffic.</summary>
    public const string HttpClientName = "azure-storage";

    private const string Setting = "AzureWebJobsStorage";

    /// <summary>
    /// Registers <see cref="StorageAccount"/> and <see cref="StorageClient"/> singletons from configuration:
    /// the connection string <c>AzureWebJobsStorage</c> (app setting or ConnectionStrings section), or for
    /// managed identity <c>AzureWebJobsStorage__accountName</c> / <c>__blobServiceUri</c> /
    /// <c>__queueServiceUri</c> / <c>__tableServiceUri</c> (optionally <c>__clientId</c>), in which case a
    /// <see cref="ManagedIdentityTokenProvider"/> is registered unless an <see cref="IStorageTokenProvider"/> already is.
    /// </summary>
    public static IServiceCollection AddAzureStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
                MaxConnectionsPerServer = 1024,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);

        services.TryAddSingleton(_ => ReadAccount(configuration));
        services.TryAddSingleton<IStorageTokenProvider>(sp =>
            new ManagedIdentityTokenProvider(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
                Get(configuration, "clientId"),
                sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp =>
        {
            var account = sp.GetRequiredService<StorageAccount>();
            var tokens = account.CredentialKind == StorageCredentialKind.BearerToken ? sp.GetRequiredService<IStorageTokenProvider>() : null;
            return new StorageClient(
                account,
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
                tokens,
                sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }

    /// <summary>Builds the account from configuration (exposed for hosts that need it before DI is built).</summary>
    public static StorageAccount ReadAccount(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration[Setting] is { Length: > 0 } direct ? direct : configuration.GetConnectionString(Setting);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return StorageAccount.Parse(connectionString);
        }

        var parts = new List<string>();
        void AddPart(string key, string name)
        {
            if (Get(configuration, key) is { } value)
            {
                parts.Add(name + "=" + value);
            }
        }

        AddPart("accountName", "AccountName");
        AddPart("blobServiceUri", "BlobEndpoint");
        AddPart("queueServiceUri", "QueueEndpoint");
        AddPart("tableServiceUri", "TableEndpoint");
        if (parts.Count == 0)
        {
            throw new InvalidOperationException(
                $"No storage configured: set {Setting} (connection string) or {Setting}__accountName / __blobServiceUri / __queueServiceUri / __tableServiceUri.");
        }

        return StorageAccount.Parse(string.Join(';', parts));
    }

    /// <summary>Reads <c>AzureWebJobsStorage:name</c> (what <c>AzureWebJobsStorage__name</c> env vars become) or the literal double-underscore key.</summary>
    private static string? Get(IConfiguration configuration, string name)
    {
        var value = configuration[Setting + ":" + name];
        if (string.IsNullOrWhiteSpace(value))
        {
            value = configuration[Setting + "__" + name];
        }

        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }
}
