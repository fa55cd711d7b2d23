namespace IdpServerless.Functions.Docs.Rendering;

/// <summary>
/// Relative paths inside a docs tree: '/'-separated, no empty, '.' or '..' parts, never rooted. Everything that names
/// a file in a source goes through here, so no input can step outside the tree it was given.
/// </summary>
public static class DocPaths
{
    public const int MaxLength = 1024;

    /// <summary>The normalized path, or null when it is empty, rooted, escapes the tree, or has forbidden characters.</summary>
    public static string? Normalize(string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.Length > MaxLength || path.Contains('\\', StringComparison.Ordinal) || path.Any(char.IsControl))
        {
            return null;
        }

        if (path.StartsWith('/') || (path.Length > 1 && path[1] == ':'))
        {
            return null;
        }

        var stack = new List<string>();
        foreach (var part in path.Split('/'))
        {
            switch (part)
            {
                case "" or ".":
                    continue;
                case "..":
                    if (stack.Count == 0)
                    {
                        return null;
                    }

                    stack.RemoveAt(stack.Count - 1);
                    break;
                default:
                    if (part.Equals(".git", StringComparison.OrdinalIgnoreCase))
                    {
                        return null;
                    }

                    stack.Add(part);
                    break;
            }
        }

        return stack.Count == 0 ? null : string.Join('/', stack);
    }

    /// <summary>Resolves <paramref name="target"/> relative to the folder of <paramref name="fromPage"/>; null when it leaves the tree.</summary>
    public static string? Resolve(string fromPage, string target)
    {
        var dir = fromPage.Contains('/', StringComparison.Ordinal) ? fromPage[..fromPage.LastIndexOf('/')] : string.Empty;
        if (target.StartsWith('/'))
        {
            return Normalize(target.TrimStart('/'));
        }

        return Normalize(dir.Length == 0 ? target : dir + "/" + target);
    }

    /// <summary>Joins a folder (possibly empty) and a relative path.</summary>
    public static string Join(string folder, string path) => folder.Length == 0 ? path : folder.TrimEnd('/') + "/" + path;

    public static bool IsMarkdown(string path) => path.EndsWith(".md", StringComparison.OrdinalIgnoreCase);
}
