namespace IdpServerless.Functions.Catalog.Ingestion;

/// <summary>A place catalog data is read from: <c>file</c> (absolute path), <c>url</c> (http/https) or <c>git</c> (<c>owner/repo/path[?ref=branch]</c>).</summary>
public sealed record LocationSpec(string Type, string Target)
{
    public const string File = "file";
    public const string Url = "url";
    public const string Git = "git";

    /// <summary><c>type:target</c>, the form Backstage uses in <c>backstage.io/managed-by-location</c>.</summary>
    public override string ToString() => $"{Type}:{Target}";
}

/// <summary>A location could not be read (missing, refused, too large, unreachable).</summary>
/// <param name="status">The HTTP status the API answers with: 400 (missing, refused, unreachable) or 413 (too large).</param>
public sealed class LocationReadException(string message, int status = 400) : Exception(message)
{
    public int Status { get; } = status;
}
