namespace IdpServerless.Functions.Git;

/// <summary>
/// Checks every name that reaches a git host before it is used, so a path like <c>../../etc/passwd</c> or
/// <c>.git/config</c> can never escape a repository or reach its internals, whichever provider runs.
/// Throws <see cref="ArgumentException"/> whose <see cref="ArgumentException.ParamName"/> names the input.
/// </summary>
public static class GitInput
{
    public const int MaxPathLength = 4096;

    /// <summary>Owner and name as <see cref="RepoRef.Parse"/> accepts them; a name may not end in <c>.git</c>.</summary>
    public static RepoRef Repo(RepoRef repo)
    {
        ArgumentNullException.ThrowIfNull(repo);
        RepoRef parsed;
        try
        {
            parsed = RepoRef.Parse($"{repo.Owner}/{repo.Name}");
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, nameof(repo), e);
        }

        if (parsed.Owner != repo.Owner || parsed.Name != repo.Name || repo.Name.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{repo}' is not a repository of the form owner/name (a name may not end in .git).", nameof(repo));
        }

        return repo;
    }

    /// <summary>A commit sha or an abbreviation of one: 4 to 64 hexadecimal digits.</summary>
    public static string Sha(string sha)
    {
        if (string.IsNullOrEmpty(sha) || sha.Length is < 4 or > 64 || !sha.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"'{sha}' is not a commit sha (4 to 64 hexadecimal digits).", nameof(sha));
        }

        return sha;
    }

    /// <summary>An owner (a GitHub org or user; a folder for the local provider).</summary>
    public static string Owner(string owner)
    {
        if (string.IsNullOrEmpty(owner) || owner.Length > 100 || owner.StartsWith('.') || owner.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            throw new ArgumentException($"'{owner}' is not an owner name (letters, digits, '-', '_', '.').", nameof(owner));
        }

        return owner;
    }

    /// <summary>A file path inside a repository: relative, '/'-separated, no empty, '.', '..' or '.git' parts.</summary>
    public static string Path(string path, string paramName = "path")
    {
        if (string.IsNullOrEmpty(path))
        {
            throw new ArgumentException("A path is required.", paramName);
        }

        if (path.Length > MaxPathLength)
        {
            throw new ArgumentException($"A path has at most {MaxPathLength} characters.", paramName);
        }

        if (path[0] == '/')
        {
            throw new ArgumentException($"'{path}' is absolute; paths are relative to the repository root.", paramName);
        }

        foreach (var c in path)
        {
            if (c == '\\' || char.IsControl(c))
            {
                throw new ArgumentException("A path may not contain '\\' or control characters.", paramName);
            }
        }

        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part is "." or ".." || part.Equals(".git", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"'{path}' has an empty, '.', '..' or '.git' part.", paramName);
            }
        }

        return path;
    }

    /// <summary>A folder prefix for listings: like <see cref="Path"/>, a trailing '/' allowed; null or empty means the root.</summary>
    public static string? Prefix(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix))
        {
            return null;
        }

        var trimmed = prefix.EndsWith('/') ? prefix[..^1] : prefix;
        return Path(trimmed, nameof(prefix));
    }

    /// <summary>A branch name following git's ref-name rules (and never starting with '-', so it cannot pass as an option).</summary>
    public static string Branch(string branch, string paramName = "branch")
    {
        if (!IsRefName(branch))
        {
            throw new ArgumentException($"'{branch}' is not a valid branch name.", paramName);
        }

        return branch;
    }

    /// <summary>A branch, tag or commit sha to read at; null stays null (the default branch).</summary>
    public static string? Ref(string? gitRef)
    {
        if (gitRef is null)
        {
            return null;
        }

        if (!IsRefName(gitRef))
        {
            throw new ArgumentException($"'{gitRef}' is not a branch, tag or commit sha.", "ref");
        }

        return gitRef;
    }

    /// <summary>True for a full 40-hex (SHA-1) or 64-hex (SHA-256) object id.</summary>
    public static bool IsObjectId(string value) =>
        value.Length is 40 or 64 && value.All(char.IsAsciiHexDigitLower);

    /// <summary>A trailer key (letters, digits, '-') and a one-line value.</summary>
    public static void Trailer(string key, string value)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 100 || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            throw new ArgumentException($"'{key}' is not a trailer key (letters, digits, '-').", nameof(key));
        }

        if (string.IsNullOrWhiteSpace(value) || value.Length > 1000 || value.Any(char.IsControl) || value.Trim() != value)
        {
            throw new ArgumentException("A trailer value is one line of text without leading or trailing spaces.", nameof(value));
        }
    }

    /// <summary>The changes of one commit: valid, distinct paths.</summary>
    public static void Changes(IReadOnlyList<GitChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var change in changes)
        {
            Path(change.Path, nameof(changes));
            if (!seen.Add(change.Path))
            {
                throw new ArgumentException($"'{change.Path}' is changed twice in one commit.", nameof(changes));
            }
        }
    }

    /// <summary>A commit message (non-empty, no NUL) and an author git can record.</summary>
    public static void Commit(string message, GitAuthor author)
    {
        if (string.IsNullOrWhiteSpace(message) || message.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A commit message is required and may not contain NUL.", nameof(message));
        }

        ArgumentNullException.ThrowIfNull(author);
        if (string.IsNullOrWhiteSpace(author.Name) || string.IsNullOrWhiteSpace(author.Email) ||
            $"{author.Name}{author.Email}".Any(c => c is '<' or '>' || char.IsControl(c)))
        {
            throw new ArgumentException("The author needs a name and an email without '<', '>' or control characters.", nameof(author));
        }
    }

    private static bool IsRefName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 255 || name[0] is '-' or '/' || name[^1] is '/' or '.')
        {
            return false;
        }

        if (name.Contains("..", StringComparison.Ordinal) || name.Contains("//", StringComparison.Ordinal) ||
            name.Contains("@{", StringComparison.Ordinal) || name == "@" || name.EndsWith(".lock", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (char.IsControl(c) || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\' || c > 0x7e)
            {
                return false;
            }
        }

        return name.Split('/').All(p => p.Length > 0 && p[0] != '.');
    }
}
