using System.Globalization;

namespace IdpServerless.Storage;

/// <summary>
/// Endpoints and credentials of one storage account, parsed from a connection string. Supports
/// <c>UseDevelopmentStorage=true</c>, account name + key (+ suffix/protocol), explicit per-service endpoints,
/// <c>SharedAccessSignature=...</c>, and key-less forms (account name or endpoints only) that authorize with
/// bearer tokens. Neither error messages nor <see cref="ToString"/> ever include the key or the SAS.
/// </summary>
public sealed class StorageAccount
{
    /// <summary>The emulator's well-known account name.</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    /// <summary>The emulator's well-known, publicly documented account key.</summary>
    public const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly string[] IgnoredKeys =
    [
        "FileEndpoint", "BlobSecondaryEndpoint", "QueueSecondaryEndpoint", "TableSecondaryEndpoint",
        "FileSecondaryEndpoint",
    ];

    private StorageAccount(string accountName, Uri blob, Uri queue, Uri table, byte[]? key, string? sas)
    {
        AccountName = accountName;
        BlobEndpoint = blob;
        QueueEndpoint = queue;
        TableEndpoint = table;
        Key = key;
        Sas = sas;
        CredentialKind = key is not null ? StorageCredentialKind.SharedKey
            : sas is not null ? StorageCredentialKind.SharedAccessSignature
            : StorageCredentialKind.BearerToken;
    }

    public string AccountName { get; }

    public Uri BlobEndpoint { get; }

    public Uri QueueEndpoint { get; }

    public Uri TableEndpoint { get; }

    /// <summary>How requests are authorized (decided by which credential the connection string carried).</summary>
    public StorageCredentialKind CredentialKind { get; }

    /// <summary>Decoded account key (HMAC key), cached once; null unless <see cref="StorageCredentialKind.SharedKey"/>.</summary>
    internal byte[]? Key { get; }

    /// <summary>SAS query string without the leading '?'.</summary>
    internal string? Sas { get; }

    /// <summary>The emulator account (devstoreaccount1, well-known key) on 127.0.0.1 with the given ports, path-style.</summary>
    public static StorageAccount ForAzurite(int blobPort, int queuePort, int tablePort)
    {
        var key = Convert.FromBase64String(DevelopmentAccountKey);
        return new StorageAccount(
            DevelopmentAccountName,
            new Uri($"http://127.0.0.1:{blobPort.ToString(CultureInfo.InvariantCulture)}/{DevelopmentAccountName}"),
            new Uri($"http://127.0.0.1:{queuePort.ToString(CultureInfo.InvariantCulture)}/{DevelopmentAccountName}"),
            new Uri($"http://127.0.0.1:{tablePort.ToString(CultureInfo.InvariantCulture)}/{DevelopmentAccountName}"),
            key,
            null);
    }

    /// <summary>Parses a storage connection string. Throws <see cref="FormatException"/> naming the bad part.</summary>
    public static StorageAccount Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var parts = SplitParts(connectionString);

        if (parts.TryGetValue("UseDevelopmentStorage", out var dev))
        {
            if (!string.Equals(dev, "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException("Connection string: UseDevelopmentStorage must be 'true'.");
            }

            foreach (var name in parts.Keys)
            {
                if (!name.Equals("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase))
                {
                    throw new FormatException($"Connection string: '{name}' cannot be combined with UseDevelopmentStorage.");
                }
            }

            return ForAzurite(10000, 10001, 10002);
        }

        parts.TryGetValue("AccountKey", out var keyText);
        parts.TryGetValue("SharedAccessSignature", out var sas);
        if (keyText is not null && sas is not null)
        {
            throw new FormatException("Connection string: AccountKey and SharedAccessSignature cannot both be given.");
        }

        byte[]? key = null;
        if (keyText is not null)
        {
            key = new byte[keyText.Length];
            if (keyText.Length == 0 || !Convert.TryFromBase64String(keyText, key, out var written))
            {
                throw new FormatException("Connection string: AccountKey is not valid base64.");
            }

            key = key[..written];
        }

        if (sas is not null)
        {
            sas = sas.TrimStart('?');
            if (sas.Length == 0)
            {
                throw new FormatException("Connection string: SharedAccessSignature is empty.");
            }
        }

        var blob = ParseEndpoint(parts, "BlobEndpoint");
        var queue = ParseEndpoint(parts, "QueueEndpoint");
        var table = ParseEndpoint(parts, "TableEndpoint");
        Uri?[] explicitEndpoints = [blob, queue, table];

        parts.TryGetValue("AccountName", out var account);
        if (string.IsNullOrEmpty(account))
        {
            account = explicitEndpoints.Select(InferAccountName).FirstOrDefault(a => a is not null);
            if (account is null)
            {
                throw new FormatException("Connection string: AccountName is missing and cannot be inferred from an endpoint.");
            }
        }

        parts.TryGetValue("DefaultEndpointsProtocol", out var protocol);
        protocol ??= "https";
        if (protocol is not ("http" or "https"))
        {
            throw new FormatException("Connection string: DefaultEndpointsProtocol must be 'http' or 'https'.");
        }

        parts.TryGetValue("EndpointSuffix", out var suffix);
        var anyExplicit = explicitEndpoints.Any(e => e is not null);
        suffix ??= explicitEndpoints.Select(InferSuffix).FirstOrDefault(s => s is not null);
        if (suffix is null && !anyExplicit)
        {
            suffix = "core.windows.net";
        }

        return new StorageAccount(
            account,
            blob ?? DefaultEndpoint(protocol, account, "blob", suffix, "BlobEndpoint"),
            queue ?? DefaultEndpoint(protocol, account, "queue", suffix, "QueueEndpoint"),
            table ?? DefaultEndpoint(protocol, account, "table", suffix, "TableEndpoint"),
            key,
            sas);
    }

    /// <summary>Describes the account without any secret.</summary>
    public override string ToString() =>
        $"AccountName={AccountName};BlobEndpoint={BlobEndpoint};QueueEndpoint={QueueEndpoint};TableEndpoint={TableEndpoint};Credential={CredentialKind}";

    private static Dictionary<string, string> SplitParts(string connectionString)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var index = 0;
        foreach (var raw in connectionString.Split(';'))
        {
            index++;
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }

            var eq = raw.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                // Do not echo the part: it may be a mangled key.
                throw new FormatException($"Connection string: part {index.ToString(CultureInfo.InvariantCulture)} is not of the form Name=Value.");
            }

            var name = raw[..eq].Trim();
            var value = raw[(eq + 1)..].Trim();
            if (IgnoredKeys.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!IsKnownKey(name))
            {
                throw new FormatException($"Connection string: unknown setting '{name}'.");
            }

            if (!parts.TryAdd(name, value))
            {
                throw new FormatException($"Connection string: setting '{name}' appears more than once.");
            }
        }

        if (parts.Count == 0)
        {
            throw new FormatException("Connection string is empty.");
        }

        return parts;
    }

    private static bool IsKnownKey(string name) => name.ToUpperInvariant() switch
    {
        "USEDEVELOPMENTSTORAGE" or "DEFAULTENDPOINTSPROTOCOL" or "ACCOUNTNAME" or "ACCOUNTKEY" or "ENDPOINTSUFFIX"
            or "BLOBENDPOINT" or "QUEUEENDPOINT" or "TABLEENDPOINT" or "SHAREDACCESSSIGNATURE" => true,
        _ => false,
    };

    private static Uri? ParseEndpoint(Dictionary<string, string> parts, string name)
    {
        if (!parts.TryGetValue(name, out var text))
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")
            || !string.IsNullOrEmpty(uri.Query))
        {
            throw new FormatException($"Connection string: {name} is not an absolute http(s) URL without a query.");
        }

        var trimmed = uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return new Uri(trimmed);
    }

    private static Uri DefaultEndpoint(string protocol, string account, string service, string? suffix, string name)
    {
        if (suffix is null)
        {
            throw new FormatException($"Connection string: {name} is missing (give it, AccountName with EndpointSuffix, or no endpoints at all).");
        }

        return new Uri($"{protocol}://{account}.{service}.{suffix}");
    }

    /// <summary>"acct" from https://acct.blob.suffix, or the first path segment of a path-style URL.</summary>
    private static string? InferAccountName(Uri? endpoint)
    {
        if (endpoint is null)
        {
            return null;
        }

        var segments = endpoint.AbsolutePath.Trim('/');
        if (segments.Length > 0)
        {
            var slash = segments.IndexOf('/', StringComparison.Ordinal);
            return slash < 0 ? segments : segments[..slash];
        }

        if (endpoint.HostNameType == UriHostNameType.Dns && InferSuffix(endpoint) is not null)
        {
            return endpoint.Host[..endpoint.Host.IndexOf('.', StringComparison.Ordinal)];
        }

        return null;
    }

    /// <summary>"core.windows.net" from https://acct.blob.core.windows.net.</summary>
    private static string? InferSuffix(Uri? endpoint)
    {
        if (endpoint is null || endpoint.HostNameType != UriHostNameType.Dns)
        {
            return null;
        }

        var labels = endpoint.Host.Split('.');
        if (labels.Length < 4 || labels[1] is not ("blob" or "queue" or "table" or "file" or "dfs"))
        {
            return null;
        }

        return string.Join('.', labels.Skip(2));
    }
}
