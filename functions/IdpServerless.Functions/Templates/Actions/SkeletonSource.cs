using IdpServerless.Functions.Git;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>
/// Reads the files of a skeleton folder for <c>fetch:template</c> and <c>fetch:plain</c>. A relative <c>url</c>
/// (<c>./skeleton</c>) resolves against the template's own location: a folder next to a <c>file:</c> template, or a
/// path in the git repository of a <c>git:owner/repo/path</c> template. Absolute URLs name a git repository folder:
/// <c>git:owner/repo/path</c> or <c>https://github.com/owner/repo/tree/branch/path</c> (read through the git provider).
/// </summary>
public sealed class SkeletonSource(IServiceProvider services)
{
    public const int MaxFiles = TaskWorkspace.MaxFiles;

    public async Task<IReadOnlyList<(string Path, WorkspaceFile File)>> ReadAsync(TemplateInfo template, string url, CancellationToken cancellationToken)
    {
        var relative = !url.Contains(':', StringComparison.Ordinal);
        if (relative && template.DirectoryContents is { } contents)
        {
            var prefix = Folder(url);
            var files = contents.Where(f => prefix.Length == 0 || f.Key.StartsWith(prefix + "/", StringComparison.Ordinal))
                .Select(f => (f.Key[(prefix.Length == 0 ? 0 : prefix.Length + 1)..], f.Value)).ToList();
            return files.Count > 0 ? files : throw new ActionFailedException($"The dry run's directoryContents have no files under '{url}'.");
        }

        if (relative)
        {
            var location = template.Location ?? throw new ActionFailedException($"'{url}' is relative, but the template has no location (backstage.io/managed-by-location) to resolve it against.");
            if (location.StartsWith("file:", StringComparison.Ordinal))
            {
                var baseDir = Path.GetDirectoryName(Path.GetFullPath(location["file:".Length..]))!;
                var dir = Path.GetFullPath(Path.Combine(baseDir, Folder(url)));
                if (!(dir + Path.DirectorySeparatorChar).StartsWith(baseDir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    throw new ActionFailedException($"'{url}' leaves the template's folder.");
                }

                return await ReadDirectoryAsync(dir, url, cancellationToken);
            }

            if (location.StartsWith("git:", StringComparison.Ordinal) || location.StartsWith("url:git:", StringComparison.Ordinal))
            {
                var (repo, path, gitRef) = ParseGit(location[(location.IndexOf("git:", StringComparison.Ordinal) + 4)..]);
                var folder = CombineGitPath(ParentOf(path), Folder(url), url);
                return await ReadGitAsync(repo, folder, gitRef, cancellationToken);
            }

            throw new ActionFailedException($"Cannot resolve '{url}' against the template location '{location}' (file: and git: locations are supported).");
        }

        if (url.StartsWith("git:", StringComparison.Ordinal))
        {
            var (repo, path, gitRef) = ParseGit(url[4..]);
            return await ReadGitAsync(repo, path, gitRef, cancellationToken);
        }

        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host == "github.com")
        {
            // https://github.com/owner/repo[/tree|blob/branch/path]
            var segments = uri.AbsolutePath.Trim('/').Split('/');
            if (segments.Length >= 2)
            {
                var repo = RepoRef.Parse($"{segments[0]}/{segments[1]}");
                var gitRef = segments.Length >= 4 && segments[2] is "tree" or "blob" ? segments[3] : null;
                var path = segments.Length > 4 ? string.Join('/', segments[4..]) : string.Empty;
                return await ReadGitAsync(repo, path, gitRef, cancellationToken);
            }
        }

        throw new ActionFailedException($"Cannot fetch '{url}': use a path relative to the template, git:owner/repo/path or a https://github.com/owner/repo/tree/branch/path URL.");
    }

    private static async Task<IReadOnlyList<(string, WorkspaceFile)>> ReadDirectoryAsync(string dir, string url, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(dir))
        {
            throw new ActionFailedException($"The skeleton folder '{url}' does not exist next to the template.");
        }

        var result = new List<(string, WorkspaceFile)>();
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (result.Count >= MaxFiles)
            {
                throw new ActionFailedException($"The skeleton '{url}' has more than {MaxFiles} files.");
            }

            var rel = Path.GetRelativePath(dir, file).Replace(Path.DirectorySeparatorChar, '/');
            if (rel.Split('/').Contains(".git"))
            {
                continue;
            }

            var executable = !OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & UnixFileMode.UserExecute) != 0;
            result.Add((rel, new WorkspaceFile(await File.ReadAllBytesAsync(file, cancellationToken), executable)));
        }

        return result;
    }

    private async Task<IReadOnlyList<(string, WorkspaceFile)>> ReadGitAsync(RepoRef repo, string folder, string? gitRef, CancellationToken cancellationToken)
    {
        var git = services.GetService<IGitProvider>() ?? throw new ActionFailedException("No git provider is configured, so git skeletons cannot be read.");
        var prefix = folder.Trim('/');
        var paths = await git.ListFilesAsync(repo, prefix.Length == 0 ? null : prefix, gitRef, cancellationToken);
        if (paths.Count == 0)
        {
            throw new ActionFailedException($"git:{repo}/{prefix} has no files.");
        }

        if (paths.Count > MaxFiles)
        {
            throw new ActionFailedException($"git:{repo}/{prefix} has more than {MaxFiles} files.");
        }

        var result = new List<(string, WorkspaceFile)>();
        foreach (var path in paths)
        {
            var content = await git.ReadFileAsync(repo, path, gitRef, cancellationToken) ?? throw new ActionFailedException($"git:{repo}/{path} disappeared while it was read.");
            result.Add((prefix.Length == 0 ? path : path[(prefix.Length + 1)..], new WorkspaceFile(content)));
        }

        return result;
    }

    /// <summary><c>owner/repo/path[?ref=branch]</c>.</summary>
    internal static (RepoRef Repo, string Path, string? Ref) ParseGit(string target)
    {
        var git = GitTarget.TryParse(target) ?? throw new ActionFailedException($"'git:{target.Split("?ref=")[0]}' is not of the form git:owner/repo/path.");
        return (RepoRef.Parse($"{git.Owner}/{git.Name}"), git.Path, git.Ref);
    }

    private static string Folder(string url)
    {
        var u = url.Replace('\\', '/').Trim();
        while (u.StartsWith("./", StringComparison.Ordinal))
        {
            u = u[2..];
        }

        return u == "." ? string.Empty : u.TrimEnd('/');
    }

    private static string ParentOf(string path) => path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] : string.Empty;

    private static string CombineGitPath(string baseFolder, string relative, string url)
    {
        var parts = baseFolder.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        foreach (var p in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (p == "..")
            {
                if (parts.Count == 0)
                {
                    throw new ActionFailedException($"'{url}' leaves the template's repository.");
                }

                parts.RemoveAt(parts.Count - 1);
            }
            else if (p != ".")
            {
                parts.Add(p);
            }
        }

        return string.Join('/', parts);
    }
}
