namespace IdpServerless.Storage.Internal;

/// <summary>Validates resource names up front so mistakes fail fast with a clear message instead of a 400.</summary>
internal static class StorageNames
{
    public static void ValidateTable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var ok = name.Length is >= 3 and <= 63 && char.IsAsciiLetter(name[0]) && name.All(char.IsAsciiLetterOrDigit);
        if (!ok)
        {
            throw new ArgumentException($"Invalid table name '{name}': 3-63 ASCII letters or digits, starting with a letter.", nameof(name));
        }
    }

    public static void ValidateQueueOrContainer(string name, string kind)
    {
        ArgumentNullException.ThrowIfNull(name);
        var ok = name.Length is >= 3 and <= 63
            && name[0] != '-' && name[^1] != '-'
            && !name.Contains("--", StringComparison.Ordinal)
            && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
        if (!ok)
        {
            throw new ArgumentException($"Invalid {kind} name '{name}': 3-63 lowercase letters, digits or single hyphens, not starting or ending with a hyphen.", nameof(name));
        }
    }

    /// <summary>Checks a blob name before it goes to the service.</summary>
    public static void ValidateBlobName(string blobName)
    {
        ArgumentException.ThrowIfNullOrEmpty(blobName);
        if (blobName.Length > 1024)
        {
            throw new ArgumentException("Blob names are at most 1024 characters.", nameof(blobName));
        }
    }

    /// <summary>The path of a resource for messages: account path plus the resource, never a query.</summary>
    public static string Path(Uri endpoint, string resource) => endpoint.AbsolutePath.TrimEnd('/') + "/" + resource;
}
