using IdpServerless.Functions.Docs.Rendering;

namespace IdpServerless.Functions.Docs.Sources;

/// <summary>
/// A docs tree on the file system, confined to <paramref name="boundary"/> (the folder of the entity's <c>file</c>
/// location): the tree must lie inside it, no path may use <c>..</c> to leave it, and a symbolic link is followed only
/// when its final target is inside it too.
/// </summary>
public sealed class FileDocsSource : IDocsSource
{
    private readonly string _boundary;
    private readonly string _root;

    public FileDocsSource(string boundary, string relativeRoot)
    {
        _boundary = Path.TrimEndingDirectorySeparator(Path.GetFullPath(boundary));
        var root = relativeRoot is "" or "." ? _boundary : Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(_boundary, relativeRoot)));
        if (!Inside(root))
        {
            throw new DocsSourceException($"dir:{relativeRoot} points outside the entity's location folder.");
        }

        _root = root;
        if (!Directory.Exists(_root))
        {
            throw new DocsSourceException($"dir:{relativeRoot} does not exist next to the entity's location.");
        }

        CheckLinks(_root);
    }

    public string Description => "file:" + _root;

    public string? Revision => null;

    public Task<IReadOnlyList<string>> ListFilesAsync(int max, CancellationToken cancellationToken)
    {
        var files = new List<string>();
        var pending = new Stack<string>();
        pending.Push(_root);
        while (pending.Count > 0 && files.Count < max)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var dir = pending.Pop();
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                if (entry.Name.StartsWith('.'))
                {
                    continue;
                }

                if (entry is DirectoryInfo sub)
                {
                    // Linked folders are not descended into: they could loop or lead out.
                    if (sub.LinkTarget is null)
                    {
                        pending.Push(sub.FullName);
                    }
                }
                else if (entry.LinkTarget is null || Inside(entry.ResolveLinkTarget(returnFinalTarget: true)?.FullName))
                {
                    files.Add(Path.GetRelativePath(_root, entry.FullName).Replace('\\', '/'));
                }
            }
        }

        files.Sort(StringComparer.Ordinal);
        return Task.FromResult<IReadOnlyList<string>>(files.Take(max).ToList());
    }

    public async Task<byte[]?> ReadAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        var relative = DocPaths.Normalize(path) ?? throw new DocsSourceException($"'{path}' is not a path inside the docs folder.");
        var full = Path.GetFullPath(Path.Combine(_root, relative));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new DocsSourceException($"'{path}' is not a path inside the docs folder.");
        }

        CheckLinks(full);
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            return null;
        }

        if (info.Length > maxBytes)
        {
            throw new DocsSourceException($"{relative} is {info.Length} bytes; docs files may be at most {maxBytes} bytes.");
        }

        return await File.ReadAllBytesAsync(full, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every link from the boundary down to <paramref name="full"/> must end inside the boundary.</summary>
    private void CheckLinks(string full)
    {
        var current = _boundary;
        foreach (var part in Path.GetRelativePath(_boundary, full).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is not null && !Inside(info.ResolveLinkTarget(returnFinalTarget: true)?.FullName))
            {
                throw new DocsSourceException($"'{Path.GetRelativePath(_boundary, current)}' links outside the entity's location folder.");
            }
        }
    }

    private bool Inside(string? path) =>
        path is not null && (path == _boundary || path.StartsWith(_boundary + Path.DirectorySeparatorChar, StringComparison.Ordinal));
}
