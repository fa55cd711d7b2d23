using System.Text.RegularExpressions;

namespace IdpServerless.Functions.Webhooks;

/// <summary>
/// Which registered catalog locations a push touched. A location target names a repository, optionally a branch, and
/// a path (globs <c>*</c> and <c>**</c> allowed, as Backstage discovery uses): <c>git:owner/repo/path[?ref=branch]</c> (default branch),
/// <c>https://github.com/owner/repo/blob|tree/&lt;branch&gt;/path</c>, <c>https://gitlab.example/group/project/-/blob/&lt;branch&gt;/path</c>.
/// </summary>
public static class CatalogTargets
{
    /// <summary>The targets among <paramref name="targets"/> whose file the push changed.</summary>
    public static IReadOnlyList<string> Touched(PushEvent push, IEnumerable<string> targets)
    {
        if (push.Branch is null || push.ChangedPaths.Count == 0)
        {
            return [];
        }

        var touched = new List<string>();
        foreach (var target in targets)
        {
            if (Parse(target) is not { } t || !string.Equals(t.Repository, push.Repository, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var branch = t.Branch ?? push.DefaultBranch;
            if (!string.Equals(branch, push.Branch, StringComparison.Ordinal))
            {
                continue;
            }

            var matcher = Glob(t.Path);
            if (push.ChangedPaths.Any(p => matcher.IsMatch(p)))
            {
                touched.Add(target);
            }
        }

        return touched;
    }

    /// <summary>(repository, branch or null for the default, path) of a target; null when it is not in a git repository.</summary>
    public static (string Repository, string? Branch, string Path)? Parse(string target)
    {
        if (target.StartsWith("git:", StringComparison.Ordinal))
        {
            // The catalog's git locations: git:owner/repo/path, optionally ?ref=<branch>.
            var spec = target[4..];
            string? branch = null;
            var query = spec.IndexOf("?ref=", StringComparison.Ordinal);
            if (query >= 0)
            {
                branch = spec[(query + 5)..];
                spec = spec[..query];
            }

            var parts = spec.Split('/', 3);
            return parts.Length == 3 && parts.All(p => p.Length > 0) ? ($"{parts[0]}/{parts[1]}", branch, parts[2]) : null;
        }

        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            return null;
        }

        var segments = uri.AbsolutePath.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        var dash = Array.IndexOf(segments, "-");
        if (dash >= 2 && segments.Length > dash + 3 && segments[dash + 1] is "blob" or "tree")
        {
            // GitLab: group/sub/project/-/blob/branch/path
            return (string.Join('/', segments[..dash]), segments[dash + 2], string.Join('/', segments[(dash + 3)..]));
        }

        if (segments.Length >= 5 && segments[2] is "blob" or "tree")
        {
            return ($"{segments[0]}/{segments[1]}", segments[3], string.Join('/', segments[4..]));
        }

        return null;
    }

    private static Regex Glob(string path)
    {
        var pattern = "^" + Regex.Escape(path.TrimStart('/'))
            .Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal)
            .Replace(@"\*\*", ".*", StringComparison.Ordinal)
            .Replace(@"\*", "[^/]*", StringComparison.Ordinal) + "$";
        return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
    }
}
