using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IdpServerless.Storage;

/// <summary>Registers the storage client the way the Functions host configures storage (<c>AzureWebJobsStorage</c>).</summary>
public static class StorageServiceCollectionExtensions
{
    private const string Setting = "AzureWebJobsStorage";

    /// <summary>
    /// Registers <see cref="StorageAccount"/>, the app's Entra ID <see cref="TokenCredential"/> and the
    /// <see cref="StorageClient"/> singleton from configuration: the connection string <c>AzureWebJobsStorage</c>
    /// (app setting or ConnectionStrings section), or for managed identity <c>AzureWebJobsStorage__accountName</c> /
    /// <c>__blobServiceUri</c> / <c>__queueServiceUri</c> / <c>__tableServiceUri</c> with <c>__credential</c>
    /// (<c>managedidentity</c>) and <c>__clientId</c>, as the Functions host reads them. The credential is
    /// <see cref="ManagedIdentityCredential"/> when <c>__credential</c> says so, else <see cref="DefaultAzureCredential"/>
    /// (managed identity in Azure, the developer's sign-in elsewhere); a registered <see cref="TokenCredential"/> wins.
    /// </summary>
    public static IServiceCollection AddAzureStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => ReadAccount(configuration));
        services.TryAddSingleton(_ => CreateCredential(configuration));
        services.TryAddSingleton(sp =>
        {
            var account = sp.GetRequiredService<StorageAccount>();
            var credential = account.CredentialKind == StorageCredentialKind.BearerToken ? sp.GetRequiredService<TokenCredential>() : null;
            return new StorageClient(account, credential: credential, time: sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }

    /// <summary>The Entra ID credential the settings ask for (also used for Key Vault).</summary>
    public static TokenCredential CreateCredential(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var clientId = Get(configuration, "clientId");
        if (string.Equals(Get(configuration, "credential"), "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            return clientId is null
                ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        }

        return new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
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
