using System.Globalization;
using System.Text;

namespace IdpServerless.Functions.Git.Local;

/// <summary>
/// The default git host: bare repositories in <c>{IDP_DATA_DIR}/git/{owner}/{name}.git</c> driven by the git CLI.
/// Commits never touch a working tree: blobs, a temporary index and <c>commit-tree</c> build the commit, and
/// <c>update-ref new old</c> moves the branch only if it still points where the commit was built (compare-and-swap
/// under git's ref lock), so concurrent writers in any number of processes never lose each other's commits.
/// </summary>
public sealed partial class LocalGitProvider(GitOptions options, TimeProvider time, ILogger<LocalGitProvider> logger) : IGitProvider
{
    public const string DefaultBranch = "main";
    public const string CommitterName = "IdpServerless";
    public const string CommitterEmail = "git@idpserverless.local";
    private const int MaxAttemptsWithoutExpectedHead = 25;
    private const string LogFormat = "--format=%H%x1f%an%x1f%aI%x1f%B%x1e";

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
            await GitCli.RunCheckedAsync(null, ["init", "--bare", "--quiet", "--initial-branch=" + DefaultBranch, staging], cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(staging, "description"), (description ?? repo.Name) + "\n", cancellationToken).ConfigureAwait(false);
            var readme = Encoding.UTF8.GetBytes($"# {repo.Name}\n" + (string.IsNullOrWhiteSpace(description) ? string.Empty : $"\n{description.Trim()}\n"));
            var at = time.GetUtcNow();
            var sha = await BuildCommitAsync(staging, null, [new GitChange("README.md", readme)], "Initial commit", new GitAuthor(CommitterName, CommitterEmail), at, cancellationToken).ConfigureAwait(false);
            await GitCli.RunCheckedAsync(staging, ["update-ref", "refs/heads/" + DefaultBranch, sha, ZeroId], cancellationToken).ConfigureAwait(false);
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

    public async Task<byte[]?> ReadFileAsync(RepoRef repo, string path, string? gitRef, CancellationToken cancellationToken)
    {
        GitInput.Path(path);
        var dir = RequireRepository(repo);
        var commit = await ResolveCommitAsync(dir, GitInput.Ref(gitRef), cancellationToken).ConfigureAwait(false);
        var result = await GitCli.RunCheckedAsync(dir, ["cat-file", "--batch"], cancellationToken, Encoding.UTF8.GetBytes($"{commit}:{path}\n")).ConfigureAwait(false);
        var output = result.Stdout;
        var newline = Array.IndexOf(output, (byte)'\n');
        var header = Encoding.UTF8.GetString(output, 0, newline < 0 ? output.Length : newline).Split(' ');
        if (newline < 0 || header.Length != 3 || header[1] != "blob")
        {
            return null; // "<object> missing", or a folder (tree) rather than a file
        }

        var size = int.Parse(header[2], CultureInfo.InvariantCulture);
        return output.AsSpan(newline + 1, size).ToArray();
    }

    public async Task<IReadOnlyList<string>> ListFilesAsync(RepoRef repo, string? prefix, string? gitRef, CancellationToken cancellationToken)
    {
        var folder = GitInput.Prefix(prefix);
        var dir = RequireRepository(repo);
        var commit = await ResolveCommitAsync(dir, GitInput.Ref(gitRef), cancellationToken).ConfigureAwait(false);
        List<string> args = ["ls-tree", "-r", "-z", "--name-only", "--full-tree", commit];
        if (folder is not null)
        {
            args.AddRange(["--", folder]);
        }

        var result = await GitCli.RunCheckedAsync(dir, args, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(result.Stdout)
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => folder is null || p.StartsWith(folder + "/", StringComparison.Ordinal) || p == folder)
            .ToList();
    }

    public Task<string?> GetHeadAsync(RepoRef repo, string branch, CancellationToken cancellationToken)
    {
        GitInput.Branch(branch);
        return HeadAsync(RequireRepository(repo), branch, cancellationToken);
    }

    public async Task<IReadOnlyList<GitCommit>> LogAsync(RepoRef repo, string branch, string? path, int max, CancellationToken cancellationToken)
    {
        GitInput.Branch(branch);
        if (path is not null)
        {
            GitInput.Path(path);
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var dir = RequireRepository(repo);
        _ = await HeadAsync(dir, branch, cancellationToken).ConfigureAwait(false) ?? throw new GitNotFoundException($"Branch '{branch}' does not exist in {repo}.");
        List<string> args = ["log", LogFormat, "-n", max.ToString(CultureInfo.InvariantCulture), "refs/heads/" + branch];
        if (path is not null)
        {
            args.AddRange(["--", path]);
        }

        var result = await GitCli.RunCheckedAsync(dir, args, cancellationToken).ConfigureAwait(false);
        return ParseLog(result.Stdout);
    }

    public async Task<GitCommit?> FindCommitByTrailerAsync(RepoRef repo, string branch, string key, string value, int searchDepth, CancellationToken cancellationToken)
    {
        GitInput.Branch(branch);
        GitInput.Trailer(key, value);
        ArgumentOutOfRangeException.ThrowIfLessThan(searchDepth, 1);
        var dir = RequireRepository(repo);
        if (await HeadAsync(dir, branch, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        // git pre-filters with a fixed-string grep; the depth bound excludes everything from branch~depth back (missing
        // when history is shorter, hence --ignore-missing); the exact trailer parse below has the last word.
        var tip = "refs/heads/" + branch;
        var result = await GitCli.RunCheckedAsync(dir,
        [
            "log", LogFormat, "--fixed-strings", "--regexp-ignore-case", "--grep=" + GitTrailers.SearchText(key, value),
            "--ignore-missing", tip, "--not", $"{tip}~{searchDepth.ToString(CultureInfo.InvariantCulture)}",
        ], cancellationToken).ConfigureAwait(false);
        return ParseLog(result.Stdout).FirstOrDefault(c => GitTrailers.Has(c.Message, key, value));
    }

    public async Task<GitCommit> CommitAsync(RepoRef repo, string branch, IReadOnlyList<GitChange> changes, string message, GitAuthor author, string? expectedHead, CancellationToken cancellationToken)
    {
        GitInput.Branch(branch);
        GitInput.Changes(changes);
        GitInput.Commit(message, author);
        var dir = RequireRepository(repo);
        for (var attempt = 1; ; attempt++)
        {
            var head = await HeadAsync(dir, branch, cancellationToken).ConfigureAwait(false);
            if (expectedHead is not null && !string.Equals(head, expectedHead, StringComparison.OrdinalIgnoreCase))
            {
                throw new GitConflictException($"Branch '{branch}' of {repo} is at {head ?? "(none)"}, not {expectedHead}.");
            }

            var parent = head ?? await HeadAsync(dir, ReadDefaultBranch(dir), cancellationToken).ConfigureAwait(false);
            var at = time.GetUtcNow();
            var sha = await BuildCommitAsync(dir, parent, changes, message, author, at, cancellationToken).ConfigureAwait(false);
            var update = await GitCli.RunAsync(dir, ["update-ref", "-m", "idp: commit", "refs/heads/" + branch, sha, head ?? ZeroId], cancellationToken).ConfigureAwait(false);
            if (update.Ok)
            {
                LogCommitted(logger, repo.ToString(), branch, sha, changes.Count);
                return new GitCommit(sha, NormalizeMessage(message), author.Name, TruncateToSeconds(at));
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

    internal const string ZeroId = "0000000000000000000000000000000000000000";

    private static bool IsRefRace(string stderr) =>
        stderr.Contains("cannot lock ref", StringComparison.Ordinal) ||
        stderr.Contains("Unable to create", StringComparison.Ordinal) ||
        stderr.Contains("reference already exists", StringComparison.Ordinal);

    private async Task<string> BuildCommitAsync(string dir, string? parent, IReadOnlyList<GitChange> changes, string message, GitAuthor author, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateTempSubdirectory("idp-git-");
        try
        {
            // A private index per commit: concurrent commits in this or other processes never share staging state.
            var env = new Dictionary<string, string> { ["GIT_INDEX_FILE"] = Path.Combine(scratch.FullName, "index") };
            await GitCli.RunCheckedAsync(dir, parent is null ? ["read-tree", "--empty"] : ["read-tree", parent], cancellationToken, environment: env).ConfigureAwait(false);

            var writes = changes.Where(c => c.Content is not null).ToList();
            var blobs = new List<string>();
            if (writes.Count > 0)
            {
                var files = new StringBuilder();
                for (var i = 0; i < writes.Count; i++)
                {
                    var file = Path.Combine(scratch.FullName, $"blob-{i}");
                    await File.WriteAllBytesAsync(file, writes[i].Content!, cancellationToken).ConfigureAwait(false);
                    files.Append(file).Append('\n');
                }

                var hashed = await GitCli.RunCheckedAsync(dir, ["hash-object", "-w", "--no-filters", "--stdin-paths"], cancellationToken, Encoding.UTF8.GetBytes(files.ToString())).ConfigureAwait(false);
                blobs.AddRange(hashed.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                if (blobs.Count != writes.Count)
                {
                    throw new GitCommandException($"git hash-object returned {blobs.Count} ids for {writes.Count} files.");
                }
            }

            var info = new StringBuilder();
            for (var i = 0; i < writes.Count; i++)
            {
                info.Append("100644 ").Append(blobs[i]).Append('\t').Append(writes[i].Path).Append('\0');
            }

            foreach (var delete in changes.Where(c => c.Content is null))
            {
                info.Append("0 ").Append(ZeroId).Append('\t').Append(delete.Path).Append('\0');
            }

            if (info.Length > 0)
            {
                await GitCli.RunCheckedAsync(dir, ["update-index", "-z", "--index-info"], cancellationToken, Encoding.UTF8.GetBytes(info.ToString()), env).ConfigureAwait(false);
            }

            var tree = (await GitCli.RunCheckedAsync(dir, ["write-tree"], cancellationToken, environment: env).ConfigureAwait(false)).Text;
            var date = $"@{at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)} +0000";
            var identity = new Dictionary<string, string>
            {
                ["GIT_AUTHOR_NAME"] = author.Name,
                ["GIT_AUTHOR_EMAIL"] = author.Email,
                ["GIT_AUTHOR_DATE"] = date,
                ["GIT_COMMITTER_NAME"] = CommitterName,
                ["GIT_COMMITTER_EMAIL"] = CommitterEmail,
                ["GIT_COMMITTER_DATE"] = date,
            };
            List<string> args = ["commit-tree", tree];
            if (parent is not null)
            {
                args.AddRange(["-p", parent]);
            }

            var commit = await GitCli.RunCheckedAsync(dir, args, cancellationToken, Encoding.UTF8.GetBytes(NormalizeMessage(message) + "\n"), identity).ConfigureAwait(false);
            return commit.Text;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static async Task<string?> HeadAsync(string dir, string branch, CancellationToken cancellationToken)
    {
        var result = await GitCli.RunAsync(dir, ["rev-parse", "--verify", "--quiet", $"refs/heads/{branch}^{{commit}}"], cancellationToken).ConfigureAwait(false);
        return result.Ok ? result.Text : null;
    }

    private static async Task<string> ResolveCommitAsync(string dir, string? gitRef, CancellationToken cancellationToken)
    {
        var name = gitRef ?? "refs/heads/" + ReadDefaultBranch(dir);
        var result = await GitCli.RunAsync(dir, ["rev-parse", "--verify", "--quiet", name + "^{commit}"], cancellationToken).ConfigureAwait(false);
        return result.Ok ? result.Text : throw new GitNotFoundException($"No commit found for the ref '{gitRef ?? "(default branch)"}'.");
    }

    private static List<GitCommit> ParseLog(byte[] output)
    {
        var commits = new List<GitCommit>();
        foreach (var record in Encoding.UTF8.GetString(output).Split('\x1e'))
        {
            var fields = record.TrimStart('\n').Split('\x1f', 4);
            if (fields.Length == 4)
            {
                commits.Add(new GitCommit(fields[0], NormalizeMessage(fields[3]), fields[1], DateTimeOffset.Parse(fields[2], CultureInfo.InvariantCulture)));
            }
        }

        return commits;
    }

    private static string NormalizeMessage(string message) => message.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd();

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

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
