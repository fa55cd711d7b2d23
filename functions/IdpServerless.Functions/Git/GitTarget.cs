namespace IdpServerless.Functions.Git;

/// <summary>
/// A location in a repository written as <c>owner/repo[/path][?ref=branch]</c>: the form of the catalog's git locations,
/// TechDocs sources and template skeletons. Each reader applies its own rules to the path and its own error.
/// </summary>
/// <param name="Owner">The repository's owner.</param>
/// <param name="Name">The repository's name.</param>
/// <param name="Path">The path inside it, as written (empty when absent).</param>
/// <param name="Ref">The branch, tag or commit after <c>?ref=</c>, or null.</param>
/// <param name="Location">The target without its <c>?ref=</c> part, for messages.</param>
public sealed record GitTarget(string Owner, string Name, string Path, string? Ref, string Location)
{
    /// <summary>Splits <paramref name="target"/>; null when it does not name at least an owner and a repository.</summary>
    public static GitTarget? TryParse(string target)
    {
        string? gitRef = null;
        var q = target.IndexOf("?ref=", StringComparison.Ordinal);
        if (q >= 0)
        {
            gitRef = target[(q + 5)..];
            target = target[..q];
        }

        var parts = target.Trim('/').Split('/', 3);
        return parts.Length < 2
            ? null
            : new GitTarget(parts[0], parts[1], parts.Length == 3 ? parts[2] : string.Empty, string.IsNullOrEmpty(gitRef) ? null : gitRef, target);
    }
}
