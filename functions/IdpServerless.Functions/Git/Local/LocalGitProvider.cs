using System.Globalization;
using System.Text;
using LibGit2Sharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace IdpServerless.Functions.Git.Local;

/// <summary>
/// The default git host: bare repositories in <c>{IDP_DATA_DIR}/git/{owner}/{name}.git</c>. Reads and object writes run
/// in-process on libgit2 (LibGit2Sharp); commits never touch a working tree or an index: blobs and trees are written
/// straight to the object database, and only the branch move is one <c>git update-ref new old</c> process, a
/// compare-and-swap under git's ref lock (LibGit2Sharp exposes no conditional ref update), so concurrent writers in any
/// number of processes, the portal's and developers' pushes alike, never lose each other's commits.
/// </summary>
public sealed partial class LocalGitProvider(GitOptions options, TimeProvider time, ILogger<LocalGitProvider> logger) : IGitProvider
{
    public const string DefaultBranch = "main";
    public const string CommitterName = "IdpServerless";
    public const string CommitterEmail = "git@idpserverless.local";
    internal const string ZeroId = "0000000000000000000000000000000000000000";
    private const int MaxAttemptsWithoutExpectedHead = 25;

    private readonly string _root = options.RepositoriesRoot;

    public async Task<GitRepository> CreateRepositoryAsync(RepoRef repo, string? description, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        var dir = RepoDir(repo);
        if (IsRepository(dir))
        {
            return Describe(repo, dir, created: false);
        }

        var ownerDir = Path.GetDirectoryName(dir)!;
        Directory.CreateDirectory(ownerDir);

        // Build the whole repository (initial commit included) under a hidden name, then rename it into place: rename is
        // atomic, so a concurrent creator either wins or finds the finished repository, never a half-made one.
        var staging = Path.Combine(ownerDir, $".staging-{repo.Name}-{Guid.NewGuid():N}");
        try
        {
            Repository.Init(staging, isBare: true);
            using (var git = new Repository(staging))
            {
                var readme = Encoding.UTF8.GetBytes($"# {repo.Name}\n" + (string.IsNullOrWhiteSpace(description) ? string.Empty : $"\n{description.Trim()}\n"));
                var initial = WriteCommit(git, null, [new GitChange("README.md", readme)], "Initial commit", new GitAuthor(CommitterName, CommitterEmail), time.GetUtcNow());
                var main = git.Refs.Add("refs/heads/" + DefaultBranch, initial.Id, "idp: initial commit", allowOverwrite: false);
                git.Refs.Add("HEAD", main, "idp: default branch", allowOverwrite: true);
            }

            await File.WriteAllTextAsync(Path.Combine(staging, "description"), (description ?? repo.Name) + "\n", cancellationToken).ConfigureAwait(false);
            try
            {
                Directory.Move(staging, dir);
            }
            catch (IOException) when (IsRepository(dir))
            {
                return Describe(repo, dir, created: false);
            }

            LogRepositoryCreated(logger, repo.ToString());
            return Describe(repo, dir, created: true);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    public Task<GitRepository?> GetRepositoryAsync(RepoRef repo, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        var dir = RepoDir(repo);
        return Task.FromResult(IsRepository(dir) ? Describe(repo, dir, created: false) : null);
    }

    public Task<IReadOnlyList<GitRepository>> ListRepositoriesAsync(string? owner, int max, CancellationToken cancellationToken)
    {
        var owners = owner is null
            ? (Directory.Exists(_root) ? Directory.GetDirectories(_root).Select(Path.GetFileName).OfType<string>() : [])
            : [GitInput.Owner(owner)];
        var found = new List<GitRepository>();
        foreach (var o in owners.Where(o => !o.StartsWith('.')).Order(StringComparer.Ordinal))
        {
            var ownerDir = Path.Combine(_root, o);
            if (!Directory.Exists(ownerDir))
            {
                continue;
            }

            foreach (var dir in Directory.GetDirectories(ownerDir, "*.git").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(dir)[..^4];
                if (name.StartsWith('.') || !IsRepository(dir))
                {
                    continue;
                }

                found.Add(Describe(new RepoRef(o, name), dir, created: false));
                if (found.Count >= max)
                {
                    return Task.FromResult<IReadOnlyList<GitRepository>>(found);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<GitRepository>>(found);
    }

    public Task<byte[]?> ReadFileAsync(RepoRef repo, string path, string? gitRef, CancellationToken cancellationToken)
    {
        GitInput.Path(path);
        var dir = RequireRepository(repo);
        using var git = Open(dir);
        var entry = ResolveCommit(git, dir, GitInput.Ref(gitRef))[path];

        // Missing, a folder (tree) or a submodule (commit) rather than a file: no content.
        return Task.FromResult(entry?.Target is Blob blob ? ReadBlob(blob) : null);
    }

    public Task<IReadOnlyList<string>> ListFilesAsync(RepoRef repo, string? prefix, string? gitRef, CancellationToken cancellationToken)
    {
        var folder = GitInput.Prefix(prefix);
        var dir = RequireRepository(repo);
        using var git = Open(dir);
        var commit = ResolveCommit(git, dir, GitInput.Ref(gitRef));
        var files = new List<string>();
        if (folder is null)
        {
            CollectFiles(commit.Tree, null, files);
        }
        else if (commit[folder] is { } entry)
        {
            if (entry.Target is Tree tree)
            {
                CollectFiles(tree, folder, files);
            }
            else
            {
                files.Add(folder);
            }
        }

        return Task.FromResult<IReadOnlyList<string>>(files);
    }

    public Task<string?> GetHeadAsync(RepoRef repo, string branch, CancellationToken cancellationToken)
    {
        GitInput.Branch(branch);
        using var git = Open(RequireRepository(repo));
        return Task.FromResult(Tip(git, branch)?.Sha);
    }

    public Task<IReadOnlyList<GitCommit>> LogAsync(RepoRef repo, string branch, string? path, int max, CancellationToken cancellationToken)
    {
        GitInput.Branch(branch);
        if (path is not null)
        {
            GitInput.Path(path);
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        using var git = Open(RequireRepository(repo));
        var tip = Tip(git, branch) ?? throw new GitNotFoundException($"Branch '{branch}' does not exist in {repo}.");
        var commits = new List<GitCommit>();
        foreach (var c in git.Commits.QueryBy(new CommitFilter { IncludeReachableFrom = tip, SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Time }))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (path is null || Changes(c, path))
            {
                commits.Add(ToCommit(c));
                if (commits.Count >= max)
                {
                    break;
                }
            }
        }

        return Task.FromResult<IReadOnlyList<GitCommit>>(commits);
    }

    public Task<GitCommit?> FindCommitByTrailerAsync(RepoRef repo, string branch, string key, string value, int searchDepth, CancellationToken cancellationToken)
    {
        GitInput.Branch(branch);
        GitInput.Trailer(key, value);
        ArgumentOutOfRangeException.ThrowIfLessThan(searchDepth, 1);
        using var git = Open(RequireRepository(repo));
        if (Tip(git, branch) is not { } tip)
        {
            return Task.FromResult<GitCommit?>(null);
        }

        // The commits from the tip back to, not including, its searchDepth-th first-parent ancestor (git's
        // "tip --not tip~depth"); libgit2 resolves "tip~depth" natively (null when history is shorter), and a
        // fixed-string test skips most messages before the exact trailer parse.
        var boundary = git.Lookup<Commit>(tip.Sha + "~" + searchDepth.ToString(CultureInfo.InvariantCulture));
        var filter = new CommitFilter { IncludeReachableFrom = tip, SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Time };
        if (boundary is not null)
        {
            filter.ExcludeReachableFrom = boundary;
        }

        var text = GitTrailers.SearchText(key, value);
        foreach (var c in git.Commits.QueryBy(filter))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (c.Message.Contains(text, StringComparison.OrdinalIgnoreCase) && GitTrailers.Has(c.Message, key, value))
            {
                return Task.FromResult<GitCommit?>(ToCommit(c));
            }
        }

        return Task.FromResult<GitCommit?>(null);
    }

    public Task<GitCommit?> GetCommitAsync(RepoRef repo, string sha, CancellationToken cancellationToken)
    {
        GitInput.Sha(sha);
        var dir = RepoDir(GitInput.Repo(repo));
        if (!IsRepository(dir))
        {
            return Task.FromResult<GitCommit?>(null);
        }

        using var git = Open(dir);
        try
        {
            return Task.FromResult(git.Lookup<Commit>(sha) is { } c ? ToCommit(c) : null);
        }
        catch (AmbiguousSpecificationException)
        {
            return Task.FromResult<GitCommit?>(null);
        }
    }

    public async Task<GitCommit> CommitAsync(RepoRef repo, string branch, IReadOnlyList<GitChange> changes, string message, GitAuthor author, string? expectedHead, CancellationToken cancellationToken)
    {
        GitInput.Branch(branch);
        GitInput.Changes(changes);
        GitInput.Commit(message, author);
        var dir = RequireRepository(repo);
        for (var attempt = 1; ; attempt++)
        {
            string? head;
            GitCommit commit;
            using (var git = Open(dir))
            {
                var tip = Tip(git, branch);
                head = tip?.Sha;
                if (expectedHead is not null && !string.Equals(head, expectedHead, StringComparison.OrdinalIgnoreCase))
                {
                    throw new GitConflictException($"Branch '{branch}' of {repo} is at {head ?? "(none)"}, not {expectedHead}.");
                }

                // A new branch starts from the default branch's tip.
                commit = ToCommit(WriteCommit(git, tip ?? Tip(git, ReadDefaultBranch(dir)), changes, message, author, time.GetUtcNow()));
            }

            var update = await GitCli.RunAsync(dir, ["update-ref", "-m", "idp: commit", "refs/heads/" + branch, commit.Sha, head ?? ZeroId], cancellationToken).ConfigureAwait(false);
            if (update.Ok)
            {
                LogCommitted(logger, repo.ToString(), branch, commit.Sha, changes.Count);
                return commit;
            }

            if (!IsRefRace(update.Stderr))
            {
                throw new GitCommandException($"git update-ref failed ({update.ExitCode}): {update.Stderr.Trim()}");
            }

            if (expectedHead is not null || attempt >= MaxAttemptsWithoutExpectedHead)
            {
                throw new GitConflictException($"Branch '{branch}' of {repo} moved while committing: {update.Stderr.Trim()}");
            }

            LogBranchMoved(logger, repo.ToString(), branch, attempt);
        }
    }

    private static bool IsRefRace(string stderr) =>
        stderr.Contains("cannot lock ref", StringComparison.Ordinal) ||
        stderr.Contains("Unable to create", StringComparison.Ordinal) ||
        stderr.Contains("reference already exists", StringComparison.Ordinal);

    /// <summary>
    /// Writes the changes' blobs, the trees and the commit object (parent: <paramref name="parent"/>) into the object
    /// database, without moving any ref. Files are written as 100644; a folder left empty by deletions disappears, as
    /// it would through git's index.
    /// </summary>
    private static Commit WriteCommit(Repository git, Commit? parent, IReadOnlyList<GitChange> changes, string message, GitAuthor author, DateTimeOffset at)
    {
        var definition = parent is null ? new TreeDefinition() : TreeDefinition.From(parent);
        foreach (var change in changes)
        {
            if (change.Content is null)
            {
                definition.Remove(change.Path);
            }
            else
            {
                using var content = new MemoryStream(change.Content, writable: false);
                definition.Add(change.Path, git.ObjectDatabase.CreateBlob(content), Mode.NonExecutableFile);
            }
        }

        var tree = git.ObjectDatabase.CreateTree(definition);
        var emptied = changes.Where(c => c.Content is null).SelectMany(c => Folders(c.Path)).Distinct(StringComparer.Ordinal)
            .OrderByDescending(f => f.Length).ToList();
        for (var pruned = true; pruned && emptied.Count > 0;)
        {
            pruned = false;
            foreach (var folder in emptied.Where(f => tree[f]?.Target is Tree { Count: 0 }))
            {
                definition.Remove(folder);
                pruned = true;
            }

            if (pruned)
            {
                tree = git.ObjectDatabase.CreateTree(definition);
            }
        }

        var when = TruncateToSeconds(at);
        return git.ObjectDatabase.CreateCommit(
            new Signature(author.Name, author.Email, when),
            new Signature(CommitterName, CommitterEmail, when),
            NormalizeMessage(message) + "\n",
            tree,
            parent is null ? [] : [parent],
            prettifyMessage: false);
    }

    /// <summary>The folders holding a path, deepest first: <c>a/b/c.txt</c> gives <c>a/b</c>, <c>a</c>.</summary>
    private static IEnumerable<string> Folders(string path)
    {
        for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
        {
            yield return path[..slash];
        }
    }

    /// <summary>True when the commit changed <paramref name="path"/> (file or folder) against every parent, as <c>git log -- path</c> shows it.</summary>
    private static bool Changes(Commit commit, string path)
    {
        var mine = commit[path]?.Target.Id;
        var parents = commit.Parents.ToList();
        return parents.Count == 0 ? mine is not null : parents.All(p => p[path]?.Target.Id != mine);
    }

    private static void CollectFiles(Tree tree, string? folder, List<string> files)
    {
        foreach (var entry in tree)
        {
            var path = folder is null ? entry.Name : folder + "/" + entry.Name;
            if (entry.Target is Tree sub)
            {
                CollectFiles(sub, path, files);
            }
            else
            {
                files.Add(path);
            }
        }
    }

    private static byte[] ReadBlob(Blob blob)
    {
        using var stream = blob.GetContentStream();
        using var buffer = new MemoryStream((int)Math.Min(blob.Size, int.MaxValue));
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static Commit? Tip(Repository git, string branch) =>
        git.Refs["refs/heads/" + branch]?.ResolveToDirectReference()?.Target as Commit;

    private static Commit ResolveCommit(Repository git, string dir, string? gitRef)
    {
        var name = gitRef ?? "refs/heads/" + ReadDefaultBranch(dir);
        try
        {
            if (git.Lookup(name + "^{commit}") is Commit commit)
            {
                return commit;
            }
        }
        catch (Exception e) when (e is InvalidSpecificationException or AmbiguousSpecificationException)
        {
            throw new GitNotFoundException($"No single commit found for the ref '{gitRef}': {e.Message}");
        }

        throw new GitNotFoundException($"No commit found for the ref '{gitRef ?? "(default branch)"}'.");
    }

    private static GitCommit ToCommit(Commit c) => new(c.Sha, NormalizeMessage(c.Message), c.Author.Name, c.Author.When);

    private static string NormalizeMessage(string message) => message.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd();

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private static Repository Open(string dir)
    {
        try
        {
            return new Repository(dir);
        }
        catch (RepositoryNotFoundException e)
        {
            throw new GitNotFoundException($"The repository at {dir} cannot be opened: {e.Message}");
        }
    }

    private string RepoDir(RepoRef repo) => Path.Combine(_root, repo.Owner, repo.Name + ".git");

    private string RequireRepository(RepoRef repo)
    {
        GitInput.Repo(repo);
        var dir = RepoDir(repo);
        return IsRepository(dir) ? dir : throw new GitNotFoundException($"Repository {repo} does not exist.");
    }

    private static bool IsRepository(string dir) => File.Exists(Path.Combine(dir, "HEAD"));

    private static string ReadDefaultBranch(string dir)
    {
        var head = File.ReadAllText(Path.Combine(dir, "HEAD")).Trim();
        return head.StartsWith("ref: refs/heads/", StringComparison.Ordinal) ? head["ref: refs/heads/".Length..] : DefaultBranch;
    }

    private static GitRepository Describe(RepoRef repo, string dir, bool created) =>
        new(repo, ReadDefaultBranch(dir), new Uri(dir).AbsoluteUri, GitApi.WebUrl(repo), created);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Created local repository {Repo}")]
    private static partial void LogRepositoryCreated(ILogger logger, string repo);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Committed {Sha} to {Repo} branch {Branch} ({Changes} changes)")]
    private static partial void LogCommitted(ILogger logger, string repo, string branch, string sha, int changes);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Branch {Branch} of {Repo} moved during commit attempt {Attempt}; re-applying the changes")]
    private static partial void LogBranchMoved(ILogger logger, string repo, string branch, int attempt);
}
