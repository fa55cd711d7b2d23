namespace IdpServerless.Functions.Git;

/// <summary>A repository at a git host: <c>owner/name</c> (GitHub org or user; a folder for the local provider).</summary>
public sealed record RepoRef(string Owner, string Name)
{
    public override string ToString() => $"{Owner}/{Name}";

    /// <summary>Parses <c>owner/name</c>; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static RepoRef Parse(string text)
    {
        var parts = text.Trim().Trim('/').Split('/');
        if (parts.Length != 2 || parts.Any(p => p.Length == 0 || p.Length > 100 || p.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || p.StartsWith('.')))
        {
            throw new FormatException($"'{text}' is not a repository of the form owner/name (letters, digits, '-', '_', '.').");
        }

        return new RepoRef(parts[0], parts[1]);
    }
}

/// <summary>A repository as the provider reports it.</summary>
public sealed record GitRepository(RepoRef Ref, string DefaultBranch, string CloneUrl, string WebUrl, bool Created);

/// <summary>Who a commit is by.</summary>
public sealed record GitAuthor(string Name, string Email);

/// <summary>A commit.</summary>
public sealed record GitCommit(string Sha, string Message, string AuthorName, DateTimeOffset At);

/// <summary>A commit's file changes: content to write, or null to delete the path.</summary>
public sealed record GitChange(string Path, byte[]? Content);

/// <summary>
/// The one way the portal reaches git hosting: read catalog files and skeletons, create repositories, commit desired
/// state. Local provider (default): bare repositories in the data folder (LibGit2Sharp, git for the ref move). Real provider: GitHub through Octokit.
/// </summary>
public interface IGitProvider
{
    /// <summary>Creates the repository (with an initial commit on the default branch) or returns the existing one with Created=false. Safe to retry.</summary>
    Task<GitRepository> CreateRepositoryAsync(RepoRef repo, string? description, CancellationToken cancellationToken);

    /// <summary>The repository, or null when it does not exist.</summary>
    Task<GitRepository?> GetRepositoryAsync(RepoRef repo, CancellationToken cancellationToken);

    /// <summary>Repositories of <paramref name="owner"/> (null = every repository the provider can see), ordered by owner and name, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<GitRepository>> ListRepositoriesAsync(string? owner, int max, CancellationToken cancellationToken);

    /// <summary>A file's bytes at <paramref name="gitRef"/> (branch, tag or sha; null = default branch), or null when missing.</summary>
    Task<byte[]?> ReadFileAsync(RepoRef repo, string path, string? gitRef, CancellationToken cancellationToken);

    /// <summary>Paths of files under <paramref name="prefix"/> (recursive; null = whole tree) at <paramref name="gitRef"/>.</summary>
    Task<IReadOnlyList<string>> ListFilesAsync(RepoRef repo, string? prefix, string? gitRef, CancellationToken cancellationToken);

    /// <summary>The sha the branch points at, or null when the branch does not exist.</summary>
    Task<string?> GetHeadAsync(RepoRef repo, string branch, CancellationToken cancellationToken);

    /// <summary>
    /// One commit on <paramref name="branch"/> with <paramref name="changes"/>. When <paramref name="expectedHead"/> is set and
    /// the branch moved, throws <see cref="GitConflictException"/> (optimistic concurrency); the caller re-reads and retries.
    /// Without <paramref name="expectedHead"/> the changes are applied on whatever the branch points at (re-applied if it moves
    /// meanwhile); another writer's commit is never overwritten. A branch that does not exist yet starts at the default branch's
    /// head. Deleting a path that does not exist is a no-op. Paths are relative, '/'-separated, without '.', '..' or '.git' parts.
    /// </summary>
    Task<GitCommit> CommitAsync(RepoRef repo, string branch, IReadOnlyList<GitChange> changes, string message, GitAuthor author, string? expectedHead, CancellationToken cancellationToken);

    /// <summary>Newest first, at most <paramref name="max"/>, optionally only commits touching <paramref name="path"/>.</summary>
    Task<IReadOnlyList<GitCommit>> LogAsync(RepoRef repo, string branch, string? path, int max, CancellationToken cancellationToken);

    /// <summary>
    /// The newest commit on <paramref name="branch"/> whose message has the trailer line <c>{key}: {value}</c>, or null.
    /// Activities use it to stay idempotent: a retried step finds its earlier commit instead of making a second.
    /// </summary>
    Task<GitCommit?> FindCommitByTrailerAsync(RepoRef repo, string branch, string key, string value, int searchDepth, CancellationToken cancellationToken);

    /// <summary>
    /// The commit <paramref name="sha"/> (40 hex digits; the local provider also takes an unambiguous prefix), or null when
    /// the repository or the commit does not exist. DORA's lead time reads the commit's time from it.
    /// </summary>
    Task<GitCommit?> GetCommitAsync(RepoRef repo, string sha, CancellationToken cancellationToken);
}

/// <summary>The branch moved since the caller read it.</summary>
public sealed class GitConflictException(string message) : Exception(message);

/// <summary>The repository or ref does not exist.</summary>
public sealed class GitNotFoundException(string message) : Exception(message);
