namespace IdpServerless.Functions.Docs.Sources;

/// <summary>A docs tree (the folder <c>dir:</c>/<c>url:</c> names): the files under it, by '/'-separated relative path.</summary>
public interface IDocsSource
{
    /// <summary>Where it is, for the site index and logs (<c>file:/abs/dir</c> or <c>git:owner/repo/dir?ref=sha</c>).</summary>
    string Description { get; }

    /// <summary>The commit read, for git sources.</summary>
    string? Revision { get; }

    /// <summary>Every file under the tree (relative paths), at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<string>> ListFilesAsync(int max, CancellationToken cancellationToken);

    /// <summary>The file's bytes, or null when missing; <see cref="DocsSourceException"/> when larger than <paramref name="maxBytes"/> or not allowed.</summary>
    Task<byte[]?> ReadAsync(string path, long maxBytes, CancellationToken cancellationToken);
}
