using Octokit;

namespace IdpServerless.Functions.Git.GitHub;

/// <summary>
/// The real git host: GitHub (api.github.com or GitHub Enterprise's <c>/api/v3</c>) through Octokit. Multi-file commits
/// go through the git data API (blobs, a tree on <c>base_tree</c>, a commit) and the branch moves with
/// <c>PATCH .../git/refs/heads/{b}</c> and <c>force: false</c>, which GitHub refuses (422, "Update is not a fast
/// forward") when the branch moved meanwhile: the same compare-and-swap the local provider gets from git's ref lock.
/// Every call runs through <see cref="GitHubCalls"/> (retries, rate limits, messages) on the client
/// <see cref="GitHubClients"/> picks for the repository's owner (token, or the App's installation there).
/// </summary>
public sealed partial class GitHubGitProvider(GitHubClients clients, GitHubCalls calls, TimeProvider time, ILogger<GitHubGitProvider> logger) : IGitProvider
{
    private const int MaxAttemptsWithoutExpectedHead = 10;

    public async Task<GitRepository> CreateRepositoryAsync(RepoRef repo, string? description, CancellationToken cancellationToken)
    {
        if (await GetRepositoryAsync(repo, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        var created = await calls.RunAsync($"creating repository {repo}", async () =>
        {
            var client = await clients.ForOwnerAsync(repo.Owner, GitHubCalls.Cancellation).ConfigureAwait(false);
            var body = new NewRepository(repo.Name) { Description = description, Private = true, AutoInit = true };
            try
            {
                try
                {
                    return await client.Repository.Create(repo.Owner, body).ConfigureAwait(false);
                }
                catch (NotFoundException)
                {
                    // Not an organization: a token may create repositories only under its own user (an App installation cannot).
                    if (clients.App is not null)
                    {
                        throw new GitNotFoundException($"GitHub has no organization '{repo.Owner}' the GitHub App may create repositories in.");
                    }

                    var user = await client.User.Current().ConfigureAwait(false);
                    if (!string.Equals(user.Login, repo.Owner, StringComparison.OrdinalIgnoreCase))
                    {
                        throw new GitNotFoundException($"GitHub has no organization '{repo.Owner}', and it is not the token's user.");
                    }

                    return await client.Repository.Create(body).ConfigureAwait(false);
                }
            }
            catch (ApiValidationException e) when (e is RepositoryExistsException || GitHubCalls.MessageOf(e).Contains("already exists", StringComparison.OrdinalIgnoreCase))
            {
                return null; // created concurrently, or by an earlier attempt whose answer was lost
            }
        }, cancellationToken).ConfigureAwait(false);

        if (created is null)
        {
            return await GetRepositoryAsync(repo, cancellationToken).ConfigureAwait(false)
                   ?? throw new GitHubApiException(422, $"GitHub refused to create repository {repo} and it does not exist either: check that the name is allowed there.");
        }

        LogRepositoryCreated(logger, repo.ToString());
        return Map(created, created: true);
    }

    public async Task<GitRepository?> GetRepositoryAsync(RepoRef repo, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        var found = await CallAsync(repo, $"reading repository {repo}", c => OrNull(c.Repository.Get(repo.Owner, repo.Name)), cancellationToken).ConfigureAwait(false);
        return found is null ? null : Map(found, created: false);
    }

    public async Task<IReadOnlyList<GitRepository>> ListRepositoriesAsync(string? owner, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        if (owner is not null)
        {
            GitInput.Owner(owner);
        }

        var pages = Pages(max);
        var repos = await calls.RunAsync(owner is null ? "listing repositories" : $"listing repositories of {owner}", async () =>
        {
            if (clients.App is not null)
            {
                // An installation sees exactly the repositories it was granted, whichever account they are on.
                var installations = owner is null
                    ? await clients.AllAsync(GitHubCalls.Cancellation).ConfigureAwait(false)
                    : [await clients.ForOwnerAsync(owner, GitHubCalls.Cancellation).ConfigureAwait(false)];
                var all = new List<Repository>();
                foreach (var installation in installations)
                {
                    all.AddRange((await installation.GitHubApps.Installation.GetAllRepositoriesForCurrent(pages).ConfigureAwait(false)).Repositories);
                }

                return all.Where(r => owner is null || string.Equals(r.Owner.Login, owner, StringComparison.OrdinalIgnoreCase)).ToList();
            }

            var client = await clients.ForOwnerAsync(owner ?? string.Empty, GitHubCalls.Cancellation).ConfigureAwait(false);
            if (owner is null)
            {
                return await client.Repository.GetAllForCurrent(pages).ConfigureAwait(false);
            }

            return await OrNull(client.Repository.GetAllForOrg(owner, pages)).ConfigureAwait(false)
                   ?? await OrNull(client.Repository.GetAllForUser(owner, pages)).ConfigureAwait(false)
                   ?? [];
        }, cancellationToken).ConfigureAwait(false);

        return repos.Select(r => Map(r, created: false))
            .OrderBy(r => r.Ref.Owner, StringComparer.Ordinal).ThenBy(r => r.Ref.Name, StringComparer.Ordinal)
            .Take(max)
            .ToList();
    }

    public async Task<byte[]?> ReadFileAsync(RepoRef repo, string path, string? gitRef, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        GitInput.Path(path);
        GitInput.Ref(gitRef);
        var what = $"reading {path} from {repo}" + (gitRef is null ? string.Empty : $" at {gitRef}");
        var (bytes, missing) = await CallAsync<(byte[]? Bytes, bool Missing)>(repo, what, async c =>
        {
            IReadOnlyList<RepositoryContent> entries;
            try
            {
                entries = await GitHubRest.ContentsAsync(c, repo, path, gitRef).ConfigureAwait(false);
            }
            catch (NotFoundException e) when (GitHubCalls.MessageOf(e).StartsWith("No commit found for the ref", StringComparison.Ordinal))
            {
                throw new GitNotFoundException($"No commit found for the ref '{gitRef}' in {repo}.");
            }
            catch (NotFoundException)
            {
                return (null, true);
            }

            // A folder answers with its entries (a folder of one entry too, but under another path): not a file.
            if (entries is not [{ Type.Value: ContentType.File } file] || file.Path != path)
            {
                return (null, false);
            }

            if (file.Encoding == "base64" && (!string.IsNullOrEmpty(file.EncodedContent) || file.Size == 0))
            {
                return (Convert.FromBase64String(file.EncodedContent ?? string.Empty), false);
            }

            // Files over 1 MB come back with encoding "none" and no content: fetch the blob itself.
            var blob = await c.Git.Blob.Get(repo.Owner, repo.Name, file.Sha).ConfigureAwait(false);
            return (Convert.FromBase64String(blob.Content), false);
        }, cancellationToken).ConfigureAwait(false);

        if (missing)
        {
            await RequireRepositoryAsync(repo, cancellationToken).ConfigureAwait(false);
        }

        return bytes;
    }

    public async Task<IReadOnlyList<string>> ListFilesAsync(RepoRef repo, string? prefix, string? gitRef, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        var folder = GitInput.Prefix(prefix);
        var target = GitInput.Ref(gitRef) ?? (await RequireRepositoryAsync(repo, cancellationToken).ConfigureAwait(false)).DefaultBranch;
        var tree = await TreeAsync(repo, target, cancellationToken).ConfigureAwait(false)
                   ?? throw new GitNotFoundException($"No commit found for the ref '{target}' in {repo}.");
        return tree.Where(p => folder is null || p.StartsWith(folder + "/", StringComparison.Ordinal) || p == folder).ToList();
    }

    public async Task<string?> GetHeadAsync(RepoRef repo, string branch, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        GitInput.Branch(branch);
        var head = await CallAsync(repo, $"reading branch {branch} of {repo}", async c =>
        {
            try
            {
                return (await GitHubRest.BranchAsync(c, repo, branch).ConfigureAwait(false)).Object.Sha;
            }
            catch (NotFoundException)
            {
                return null;
            }
            catch (ApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                return string.Empty; // "Git Repository is empty."
            }
        }, cancellationToken).ConfigureAwait(false);

        if (head is null)
        {
            await RequireRepositoryAsync(repo, cancellationToken).ConfigureAwait(false);
        }

        return string.IsNullOrEmpty(head) ? null : head;
    }

    public async Task<IReadOnlyList<GitCommit>> LogAsync(RepoRef repo, string branch, string? path, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        if (path is not null)
        {
            GitInput.Path(path);
        }

        var head = await GetHeadAsync(repo, branch, cancellationToken).ConfigureAwait(false)
                   ?? throw new GitNotFoundException($"Branch '{branch}' does not exist in {repo}.");
        return await CommitsAsync(repo, head, path, max, cancellationToken).ConfigureAwait(false);
    }

    public async Task<GitCommit?> FindCommitByTrailerAsync(RepoRef repo, string branch, string key, string value, int searchDepth, CancellationToken cancellationToken)
    {
        GitInput.Trailer(key, value);
        ArgumentOutOfRangeException.ThrowIfLessThan(searchDepth, 1);
        var head = await GetHeadAsync(repo, branch, cancellationToken).ConfigureAwait(false);
        if (head is null)
        {
            return null;
        }

        var commits = await CommitsAsync(repo, head, null, searchDepth, cancellationToken).ConfigureAwait(false);
        return commits.FirstOrDefault(c => GitTrailers.Has(c.Message, key, value));
    }

    public Task<GitCommit?> GetCommitAsync(RepoRef repo, string sha, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        GitInput.Sha(sha);
        return CallAsync(repo, $"reading commit {sha} of {repo}", async c =>
        {
            try
            {
                var commit = await c.Git.Commit.Get(repo.Owner, repo.Name, sha.ToLowerInvariant()).ConfigureAwait(false);
                return new GitCommit(commit.Sha, commit.Message.TrimEnd(), commit.Author.Name, commit.Author.Date);
            }
            catch (NotFoundException)
            {
                return (GitCommit?)null;
            }
            catch (ApiValidationException)
            {
                return null; // 422: not a full sha GitHub knows
            }
        }, cancellationToken);
    }

    public async Task<GitCommit> CommitAsync(RepoRef repo, string branch, IReadOnlyList<GitChange> changes, string message, GitAuthor author, string? expectedHead, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        GitInput.Branch(branch);
        GitInput.Changes(changes);
        GitInput.Commit(message, author);
        var text = message.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd();
        var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var attempt = 1; ; attempt++)
        {
            var head = await GetHeadAsync(repo, branch, cancellationToken).ConfigureAwait(false);
            if (expectedHead is not null && !string.Equals(head, expectedHead, StringComparison.OrdinalIgnoreCase))
            {
                throw new GitConflictException($"Branch '{branch}' of {repo} is at {head ?? "(none)"}, not {expectedHead}.");
            }

            var parent = head ?? await GetHeadAsync(repo, (await RequireRepositoryAsync(repo, cancellationToken).ConfigureAwait(false)).DefaultBranch, cancellationToken).ConfigureAwait(false);
            var commit = await CreateCommitAsync(repo, parent, changes, blobs, text, author, cancellationToken).ConfigureAwait(false);
            var refused = await CallAsync(repo, $"moving branch {branch} of {repo}", async c =>
            {
                try
                {
                    if (head is null)
                    {
                        await c.Git.Reference.Create(repo.Owner, repo.Name, new NewReference("refs/heads/" + branch, commit.Sha)).ConfigureAwait(false);
                    }
                    else
                    {
                        await GitHubRest.MoveBranchAsync(c, repo, branch, commit.Sha).ConfigureAwait(false);
                    }

                    return null;
                }
                catch (ApiValidationException e) when (GitHubCalls.MessageOf(e) is var why &&
                                                       (why.Contains("fast forward", StringComparison.OrdinalIgnoreCase) || why.Contains("already exists", StringComparison.OrdinalIgnoreCase)))
                {
                    return why;
                }
            }, cancellationToken).ConfigureAwait(false);

            if (refused is null)
            {
                LogCommitted(logger, repo.ToString(), branch, commit.Sha, changes.Count);
                return new GitCommit(commit.Sha, commit.Message.TrimEnd(), commit.Author.Name, commit.Author.Date);
            }

            if (expectedHead is not null || attempt >= MaxAttemptsWithoutExpectedHead)
            {
                throw new GitConflictException($"Branch '{branch}' of {repo} moved while committing: {refused}");
            }

            LogBranchMoved(logger, repo.ToString(), branch, attempt);
        }
    }

    private async Task<Commit> CreateCommitAsync(RepoRef repo, string? parent, IReadOnlyList<GitChange> changes, Dictionary<string, string> blobs, string message, GitAuthor author, CancellationToken cancellationToken)
    {
        string? baseTree = null;
        if (parent is not null)
        {
            baseTree = await CallAsync(repo, $"reading commit {parent} of {repo}", async c => (await c.Git.Commit.Get(repo.Owner, repo.Name, parent).ConfigureAwait(false)).Tree.Sha, cancellationToken).ConfigureAwait(false);
        }

        var writes = new List<(string Path, string Sha)>();
        foreach (var change in changes.Where(c => c.Content is not null))
        {
            if (!blobs.TryGetValue(change.Path, out var sha))
            {
                var blob = new NewBlob { Content = Convert.ToBase64String(change.Content!), Encoding = EncodingType.Base64 };
                sha = await CallAsync(repo, $"storing {change.Path} in {repo}", async c => (await c.Git.Blob.Create(repo.Owner, repo.Name, blob).ConfigureAwait(false)).Sha, cancellationToken).ConfigureAwait(false);
                blobs[change.Path] = sha;
            }

            writes.Add((change.Path, sha));
        }

        var deletes = new List<string>();
        if (baseTree is not null && changes.Any(c => c.Content is null))
        {
            // GitHub refuses to delete a path that does not exist; our contract makes that a no-op.
            var existing = (await TreeAsync(repo, baseTree, cancellationToken).ConfigureAwait(false))?.ToHashSet(StringComparer.Ordinal) ?? [];
            deletes.AddRange(changes.Where(c => c.Content is null && existing.Contains(c.Path)).Select(c => c.Path));
        }

        var tree = baseTree;
        if (writes.Count > 0 || deletes.Count > 0 || tree is null)
        {
            tree = await CallAsync(repo, $"writing a tree in {repo}", c => GitHubRest.CreateTreeAsync(c, repo, baseTree, writes, deletes), cancellationToken).ConfigureAwait(false);
        }

        // Whole seconds: git stores no more, and GitHub documents the date as YYYY-MM-DDTHH:MM:SSZ.
        var at = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
        var commit = new NewCommit(message, tree, parent is null ? [] : [parent]) { Author = new Committer(author.Name, author.Email, at) };
        return await CallAsync(repo, $"creating a commit in {repo}", c => c.Git.Commit.Create(repo.Owner, repo.Name, commit), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every file path of the tree at <paramref name="treeish"/>, or null when GitHub does not know it.</summary>
    private async Task<List<string>?> TreeAsync(RepoRef repo, string treeish, CancellationToken cancellationToken)
    {
        var tree = await CallAsync(repo, $"listing the files of {repo} at {treeish}", async c =>
        {
            try
            {
                return await GitHubRest.TreeAsync(c, repo, treeish).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NotFoundException or ApiValidationException)
            {
                return null;
            }
            catch (ApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                return new TreeResponse(string.Empty, string.Empty, [], false); // empty repository
            }
        }, cancellationToken).ConfigureAwait(false);

        if (tree is null)
        {
            await RequireRepositoryAsync(repo, cancellationToken).ConfigureAwait(false);
            return null;
        }

        if (tree.Truncated)
        {
            throw new GitHubApiException(502, $"The tree of {repo} at {treeish} has more entries than GitHub lists in one answer.");
        }

        return tree.Tree.Where(e => e.Type.Value == TreeType.Blob).Select(e => e.Path).ToList();
    }

    private async Task<List<GitCommit>> CommitsAsync(RepoRef repo, string sha, string? path, int max, CancellationToken cancellationToken)
    {
        var request = new CommitRequest { Sha = sha, Path = path };
        var commits = await CallAsync(repo, $"reading the history of {repo}", c => c.Repository.Commit.GetAll(repo.Owner, repo.Name, request, Pages(max)), cancellationToken).ConfigureAwait(false);
        return commits.Take(max).Select(c => new GitCommit(c.Sha, c.Commit.Message.TrimEnd(), c.Commit.Author.Name, c.Commit.Author.Date)).ToList();
    }

    private Task<T> CallAsync<T>(RepoRef repo, string what, Func<IGitHubClient, Task<T>> call, CancellationToken cancellationToken) =>
        calls.RunAsync(what, async () =>
        {
            var client = await clients.ForRepositoryAsync(repo, GitHubCalls.Cancellation).ConfigureAwait(false);
            try
            {
                return await call(client).ConfigureAwait(false);
            }
            catch (AuthorizationException) when (clients.App is not null)
            {
                // An installation token GitHub no longer takes (revoked, or the App's permissions changed): once more with a new one.
                clients.ForgetInstallation(repo.Owner, client);
                return await call(await clients.ForRepositoryAsync(repo, GitHubCalls.Cancellation).ConfigureAwait(false)).ConfigureAwait(false);
            }
        }, cancellationToken);

    private async Task<GitRepository> RequireRepositoryAsync(RepoRef repo, CancellationToken cancellationToken) =>
        await GetRepositoryAsync(repo, cancellationToken).ConfigureAwait(false) ?? throw new GitNotFoundException($"Repository {repo} does not exist.");

    private static async Task<T?> OrNull<T>(Task<T> call)
        where T : class
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    /// <summary>Pages of up to 100 (GitHub's largest), as many as <paramref name="max"/> items need.</summary>
    private static ApiOptions Pages(int max)
    {
        var size = Math.Min(max, 100);
        return new ApiOptions { PageSize = size, PageCount = (max + size - 1) / size, StartPage = 1 };
    }

    private static GitRepository Map(Repository r, bool created) =>
        new(new RepoRef(r.Owner.Login, r.Name), r.DefaultBranch, r.CloneUrl, r.HtmlUrl, created);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Created GitHub repository {Repo}")]
    private static partial void LogRepositoryCreated(ILogger logger, string repo);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "Committed {Sha} to GitHub {Repo} branch {Branch} ({Changes} changes)")]
    private static partial void LogCommitted(ILogger logger, string repo, string branch, string sha, int changes);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "GitHub branch {Branch} of {Repo} moved during commit attempt {Attempt}; re-applying the changes")]
    private static partial void LogBranchMoved(ILogger logger, string repo, string branch, int attempt);
}
