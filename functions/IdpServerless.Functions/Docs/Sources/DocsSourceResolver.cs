using IdpServerless.Functions.Docs.Rendering;
using IdpServerless.Functions.Git;

namespace IdpServerless.Functions.Docs.Sources;

/// <summary>
/// Turns an entity's <c>backstage.io/techdocs-ref</c> into a docs tree, as Backstage reads it: <c>dir:&lt;path&gt;</c> is
/// relative to the folder of the catalog file the entity came from (<c>backstage.io/managed-by-location</c>, else
/// <c>backstage.io/source-location</c>): a <c>file</c> folder, a <c>git:owner/repo/path</c> location or a git host URL;
/// <c>url:&lt;git url&gt;</c> names a repository (and optionally <c>/tree/&lt;ref&gt;/&lt;folder&gt;</c>) directly.
/// </summary>
public sealed class DocsSourceResolver(IServiceProvider services)
{
    /// <summary>True when the entity asks for docs at all.</summary>
    public static bool HasDocs(DocsEntity entity) =>
        entity.Annotations.TryGetValue(DocsKeys.TechDocsRef, out var value) && !string.IsNullOrWhiteSpace(value);

    /// <summary>The entity's docs tree; <see cref="DocsSourceException"/> when the reference or its location cannot be used.</summary>
    public async Task<IDocsSource> OpenAsync(DocsEntity entity, CancellationToken ct)
    {
        if (!entity.Annotations.TryGetValue(DocsKeys.TechDocsRef, out var reference) || string.IsNullOrWhiteSpace(reference))
        {
            throw new DocsSourceException($"{entity.Ref} has no {DocsKeys.TechDocsRef} annotation.");
        }

        reference = reference.Trim();
        if (reference.StartsWith("url:", StringComparison.Ordinal))
        {
            var (repo, folder, gitRef) = ParseGitUrl(reference[4..], isFolder: true)
                                         ?? throw new DocsSourceException($"{DocsKeys.TechDocsRef} '{reference}' is not a repository URL (https://host/owner/repo[/tree/ref/folder]).");
            return await GitDocsSource.OpenAsync(Git(), repo, folder, gitRef, ct).ConfigureAwait(false);
        }

        if (!reference.StartsWith("dir:", StringComparison.Ordinal))
        {
            throw new DocsSourceException($"{DocsKeys.TechDocsRef} '{reference}' is neither dir:<path> nor url:<url>.");
        }

        var dir = reference[4..].Trim();
        var location = Location(entity) ?? throw new DocsSourceException($"{entity.Ref} has a dir: docs reference but no location annotation to resolve it against.");
        var colon = location.IndexOf(':', StringComparison.Ordinal);
        var (type, target) = colon > 0 ? (location[..colon], location[(colon + 1)..]) : (string.Empty, location);
        switch (type)
        {
            case "file":
                var folder = target.EndsWith('/') ? target : Path.GetDirectoryName(target) ?? target;
                return new FileDocsSource(folder, dir);
            case "git":
                var (repo, path, gitRef) = ParseGitTarget(target);
                return await GitDocsSource.OpenAsync(Git(), repo, Within(FolderOf(path, isFolder: false), dir), gitRef, ct).ConfigureAwait(false);
            case "url":
                var isFolder = target.EndsWith('/') || target.Contains("/tree/", StringComparison.Ordinal);
                var parsed = ParseGitUrl(target, isFolder)
                             ?? throw new DocsSourceException($"{entity.Ref} comes from {location}, which is not a git host URL; dir: docs need a file or git location.");
                return await GitDocsSource.OpenAsync(Git(), parsed.Repo, Within(parsed.Folder, dir), parsed.Ref, ct).ConfigureAwait(false);
            default:
                throw new DocsSourceException($"{entity.Ref} comes from '{location}', a location type docs cannot read.");
        }
    }

    private static string? Location(DocsEntity entity)
    {
        foreach (var key in new[] { DocsKeys.ManagedByLocation, DocsKeys.SourceLocation })
        {
            if (entity.Annotations.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value))
            {
                return value.Trim();
            }
        }

        return null;
    }

    /// <summary>The folder <paramref name="dir"/> names inside <paramref name="baseFolder"/> of a repository; it may not leave the repository.</summary>
    private static string Within(string baseFolder, string dir)
    {
        if (dir is "" or "." or "./")
        {
            return baseFolder;
        }

        return DocPaths.Normalize(DocPaths.Join(baseFolder, dir))
               ?? throw new DocsSourceException($"dir:{dir} points outside the repository.");
    }

    private static string FolderOf(string path, bool isFolder) =>
        isFolder ? path : path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] : string.Empty;

    /// <summary><c>owner/repo/path[?ref=branch]</c>, the catalog's git location target.</summary>
    private static (RepoRef Repo, string Path, string? Ref) ParseGitTarget(string target)
    {
        var git = GitTarget.TryParse(target) ?? throw new DocsSourceException($"git location '{target.Split("?ref=")[0]}' is not owner/repo/path.");
        return (Repo(git.Owner, git.Name), DocPaths.Normalize(git.Path) ?? string.Empty, git.Ref);
    }

    /// <summary><c>https://host/owner/repo[.git][/(tree|blob|raw)/ref/path]</c>.</summary>
    internal static (RepoRef Repo, string Folder, string? Ref)? ParseGitUrl(string url, bool isFolder)
    {
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return null;
        }

        var segments = uri.AbsolutePath.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        if (segments.Length < 2)
        {
            return null;
        }

        var name = segments[1].EndsWith(".git", StringComparison.OrdinalIgnoreCase) ? segments[1][..^4] : segments[1];
        if (segments.Length == 2)
        {
            return (Repo(segments[0], name), string.Empty, null);
        }

        if (segments.Length < 4 || segments[2] is not ("tree" or "blob" or "raw"))
        {
            return null;
        }

        var path = segments.Length > 4 ? DocPaths.Normalize(string.Join('/', segments.Skip(4))) ?? throw new DocsSourceException($"'{url}' has a path outside its repository.") : string.Empty;
        var folder = segments[2] == "tree" || isFolder ? path : FolderOf(path, isFolder: false);
        return (Repo(segments[0], name), folder, segments[3]);
    }

    private static RepoRef Repo(string owner, string name)
    {
        try
        {
            return RepoRef.Parse(owner + "/" + name);
        }
        catch (FormatException e)
        {
            throw new DocsSourceException(e.Message);
        }
    }

    private IGitProvider Git() =>
        services.GetService<IGitProvider>() ?? throw new DocsSourceException("git docs need a git provider, and none is configured.");
}
