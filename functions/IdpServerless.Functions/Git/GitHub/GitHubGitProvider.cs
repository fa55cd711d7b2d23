using System.Globalization;
using System.Net;

namespace IdpServerless.Functions.Git.GitHub;

/// <summary>
/// The real git host: GitHub REST (api.github.com or GitHub Enterprise). Multi-file commits go through the git data API
/// (blobs, a tree on <c>base_tree</c>, a commit) and the branch moves with <c>PATCH .../git/refs/heads/{b}</c> and
/// <c>force: false</c>, which GitHub refuses (422, "Update is not a fast forward") when the branch moved meanwhile:
/// the same compare-and-swap the local provider gets from <c>git update-ref</c>.
/// </summary>
public sealed partial class GitHubGitProvider(GitHubApiClient api, TimeProvider time, ILogger<GitHubGitProvider> logger) : IGitProvider
{
    private const int MaxAttemptsWithoutExpectedHead = 10;
    private readonly GitHubApiClient _api = api;
    private readonly ILogger<GitHubGitProvider> _logger = logger;

    public async Task<GitRepository> CreateRepositoryAsync(RepoRef repo, string? description, CancellationToken cancellationToken)
    {
        if (await GetRepositoryAsync(repo, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        var body = new GhCreateRepo(repo.Name, description, Private: true, AutoInit: true);
        var created = await _api.SendAsync(HttpMethod.Post, $"orgs/{repo.Owner}/repos", body, cancellationToken).ConfigureAwait(false);
        if (created.Status == HttpStatusCode.NotFound)
        {
            // Not an organization: a user may create repositories only under their own account.
            var user = await _api.GetAsync("user", cancellationToken).ConfigureAwait(false);
            if (!user.IsSuccess)
            {
                throw user.Error("GET user");
            }

            if (!string.Equals(user.Read<GhUser>().Login, repo.Owner, StringComparison.OrdinalIgnoreCase))
            {
                throw new GitNotFoundException($"GitHub has no organization '{repo.Owner}', and it is not the token's user.");
            }

            created = await _api.SendAsync(HttpMethod.Post, "user/repos", body, cancellationToken).ConfigureAwait(false);
        }

        if (created.Status == HttpStatusCode.UnprocessableEntity &&
            await GetRepositoryAsync(repo, cancellationToken).ConfigureAwait(false) is { } raced)
        {
            return raced; // created concurrently (or by an earlier attempt whose answer was lost)
        }

        if (created.Status != HttpStatusCode.Created)
        {
            throw created.Error($"creating repository {repo}");
        }

        LogRepositoryCreated(_logger, repo.ToString());
        return Map(created.Read<GhRepo>(), created: true);
    }

    public async Task<GitRepository?> GetRepositoryAsync(RepoRef repo, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        var response = await _api.GetAsync(RepoPath(repo), cancellationToken).ConfigureAwait(false);
        return response.Status switch
        {
            HttpStatusCode.OK => Map(response.Read<GhRepo>(), created: false),
            HttpStatusCode.NotFound => null,
            _ => throw response.Error($"GET repository {repo}"),
        };
    }

    public async Task<IReadOnlyList<GitRepository>> ListRepositoriesAsync(string? owner, int max, CancellationToken cancellationToken)
    {
        List<GhRepo> repos;
        if (owner is null)
        {
            repos = await _api.GetPagesAsync<GhRepo>("user/repos?per_page=100", max, _ => false, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            GitInput.Owner(owner);
            var notAnOrg = false;
            repos = await _api.GetPagesAsync<GhRepo>($"orgs/{owner}/repos?per_page=100", max, r => notAnOrg = r.Status == HttpStatusCode.NotFound, cancellationToken).ConfigureAwait(false);
            if (notAnOrg)
            {
                repos = await _api.GetPagesAsync<GhRepo>($"users/{owner}/repos?per_page=100", max, r => r.Status == HttpStatusCode.NotFound, cancellationToken).ConfigureAwait(false);
            }
        }

        return repos.Select(r => Map(r, created: false))
            .OrderBy(r => r.Ref.Owner, StringComparer.Ordinal).ThenBy(r => r.Ref.Name, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<byte[]?> ReadFileAsync(RepoRef repo, string path, string? gitRef, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        GitInput.Path(path);
        GitInput.Ref(gitRef);
        var url = $"{RepoPath(repo)}/contents/{EscapePath(path)}" + (gitRef is null ? string.Empty : "?ref=" + Uri.EscapeDataString(gitRef));
        var response = await _api.GetAsync(url, cancellationToken).ConfigureAwait(false);
        if (response.Status == HttpStatusCode.NotFound)
        {
            if (response.Message.StartsWith("No commit found for the ref", StringComparison.Ordinal))
            {
                throw new GitNotFoundException($"No commit found for the ref '{gitRef}' in {repo}.");
            }

            await RequireRepositoryAsync(repo, cancellationToken).ConfigureAwait(false);
            return null;
        }

        if (!response.IsSuccess)
        {
            throw response.Error($"reading {path} from {repo}");
        }

        if (response.Body.TrimStart().StartsWith('['))
        {
            return null; // a folder: GitHub lists its entries
        }

        var content = response.Read<GhContent>();
        if (content.Type != "file")
        {
            return null;
        }

        if (content.Encoding == "base64" && (content.Content is { Length: > 0 } || content.Size == 0))
        {
            return Convert.FromBase64String((content.Content ?? string.Empty).Replace("\n", string.Empty, StringComparison.Ordinal));
        }

        // Files over 1 MB come back with encoding "none" and no content: fetch the blob itself.
        var blob = await _api.GetAsync($"{RepoPath(repo)}/git/blobs/{content.Sha}", cancellationToken).ConfigureAwait(false);
        if (!blob.IsSuccess)
        {
            throw blob.Error($"reading blob {content.Sha} of {repo}");
        }

        return Convert.FromBase64String(blob.Read<GhBlobContent>().Content.Replace("\n", string.Empty, StringComparison.Ordinal));
    }

    public async Task<IReadOnlyList<string>> ListFilesAsync(RepoRef repo, string? prefix, string? gitRef, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        var folder = GitInput.Prefix(prefix);
        var target = GitInput.Ref(gitRef) ?? (await RequireRepositoryAsync(repo, cancellationToken).ConfigureAwait(false)).DefaultBranch;
        var tree = await GetTreeAsync(repo, target, cancellationToken).ConfigureAwait(false)
                   ?? throw new GitNotFoundException($"No commit found for the ref '{target}' in {repo}.");
        return tree.Where(p => folder is null || p.StartsWith(folder + "/", StringComparison.Ordinal) || p == folder).ToList();
    }

    public async Task<string?> GetHeadAsync(RepoRef repo, string branch, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        GitInput.Branch(branch);
        var response = await _api.GetAsync($"{RepoPath(repo)}/git/ref/heads/{EscapePath(branch)}", cancellationToken).ConfigureAwait(false);
        switch (response.Status)
        {
            case HttpStatusCode.OK:
                return response.Read<GhRef>().Object.Sha;
            case HttpStatusCode.NotFound:
                await RequireRepositoryAsync(repo, cancellationToken).ConfigureAwait(false);
                return null;
            case HttpStatusCode.Conflict:
                return null; // "Git Repository is empty."
            default:
                throw response.Error($"GET ref heads/{branch} of {repo}");
        }
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

    public async Task<GitCommit> CommitAsync(RepoRef repo, string branch, IReadOnlyList<GitChange> changes, string message, GitAuthor author, string? expectedHead, CancellationToken cancellationToken)
    {
        GitInput.Repo(repo);
        GitInput.Branch(branch);
        GitInput.Changes(changes);
        GitInput.Commit(message, author);
        var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var attempt = 1; ; attempt++)
        {
            var head = await GetHeadAsync(repo, branch, cancellationToken).ConfigureAwait(false);
            if (expectedHead is not null && !string.Equals(head, expectedHead, StringComparison.OrdinalIgnoreCase))
            {
                throw new GitConflictException($"Branch '{branch}' of {repo} is at {head ?? "(none)"}, not {expectedHead}.");
            }

            var parent = head ?? await GetHeadAsync(repo, (await RequireRepositoryAsync(repo, cancellationToken).ConfigureAwait(false)).DefaultBranch, cancellationToken).ConfigureAwait(false);
            var commit = await CreateCommitAsync(repo, parent, changes, blobs, message.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd(), author, cancellationToken).ConfigureAwait(false);
            var update = head is null
                ? await _api.SendAsync(HttpMethod.Post, $"{RepoPath(repo)}/git/refs", new GhCreateRef("refs/heads/" + branch, commit.Sha), cancellationToken).ConfigureAwait(false)
                : await _api.SendAsync(HttpMethod.Patch, $"{RepoPath(repo)}/git/refs/heads/{EscapePath(branch)}", new GhUpdateRef(commit.Sha, Force: false), cancellationToken).ConfigureAwait(false);
            if (update.IsSuccess)
            {
                LogCommitted(_logger, repo.ToString(), branch, commit.Sha, changes.Count);
                return new GitCommit(commit.Sha, commit.Message.TrimEnd(), commit.Author.Name, commit.Author.Date);
            }

            var moved = update.Status == HttpStatusCode.UnprocessableEntity &&
                        (update.Message.Contains("fast forward", StringComparison.OrdinalIgnoreCase) || update.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase));
            if (!moved)
            {
                throw update.Error($"moving {branch} of {repo}");
            }

            if (expectedHead is not null || attempt >= MaxAttemptsWithoutExpectedHead)
            {
                throw new GitConflictException($"Branch '{branch}' of {repo} moved while committing: {update.Message}");
            }

            LogBranchMoved(_logger, repo.ToString(), branch, attempt);
        }
    }

    private async Task<GhGitCommit> CreateCommitAsync(RepoRef repo, string? parent, IReadOnlyList<GitChange> changes, Dictionary<string, string> blobs, string message, GitAuthor author, CancellationToken cancellationToken)
    {
        string? baseTree = null;
        if (parent is not null)
        {
            var parentCommit = await _api.GetAsync($"{RepoPath(repo)}/git/commits/{parent}", cancellationToken).ConfigureAwait(false);
            baseTree = parentCommit.IsSuccess ? parentCommit.Read<GhGitCommit>().Tree.Sha : throw parentCommit.Error($"GET commit {parent}");
        }

        var entries = new List<GhNewTreeEntry>();
        foreach (var change in changes.Where(c => c.Content is not null))
        {
            if (!blobs.TryGetValue(change.Path, out var sha))
            {
                var blob = await _api.SendAsync(HttpMethod.Post, $"{RepoPath(repo)}/git/blobs", new GhCreateBlob(Convert.ToBase64String(change.Content!), "base64"), cancellationToken).ConfigureAwait(false);
                sha = blob.Status == HttpStatusCode.Created ? blob.Read<GhSha>().Sha : throw blob.Error($"creating a blob for {change.Path}");
                blobs[change.Path] = sha;
            }

            entries.Add(new GhNewTreeEntry(change.Path, "100644", "blob", sha));
        }

        var deletes = changes.Where(c => c.Content is null).Select(c => c.Path).ToList();
        if (deletes.Count > 0 && baseTree is not null)
        {
            // GitHub refuses to delete a path that does not exist; our contract makes that a no-op.
            var existing = (await GetTreeAsync(repo, baseTree, cancellationToken).ConfigureAwait(false))?.ToHashSet(StringComparer.Ordinal) ?? [];
            entries.AddRange(deletes.Where(existing.Contains).Select(p => new GhNewTreeEntry(p, "100644", "blob", null)));
        }

        var tree = baseTree;
        if (entries.Count > 0 || tree is null)
        {
            var created = await _api.SendAsync(HttpMethod.Post, $"{RepoPath(repo)}/git/trees", new GhCreateTree(baseTree, entries), cancellationToken).ConfigureAwait(false);
            tree = created.Status == HttpStatusCode.Created ? created.Read<GhSha>().Sha : throw created.Error($"creating a tree in {repo}");
        }

        var at = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
        var body = new GhCreateCommit(message, tree, parent is null ? [] : [parent], new GhNewSignature(author.Name, author.Email, at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)));
        var commit = await _api.SendAsync(HttpMethod.Post, $"{RepoPath(repo)}/git/commits", body, cancellationToken).ConfigureAwait(false);
        return commit.Status == HttpStatusCode.Created ? commit.Read<GhGitCommit>() : throw commit.Error($"creating a commit in {repo}");
    }

    /// <summary>Every file path of the tree at <paramref name="treeish"/>, or null when GitHub does not know it.</summary>
    private async Task<List<string>?> GetTreeAsync(RepoRef repo, string treeish, CancellationToken cancellationToken)
    {
        var response = await _api.GetAsync($"{RepoPath(repo)}/git/trees/{EscapePath(treeish)}?recursive=1", cancellationToken).ConfigureAwait(false);
        switch (response.Status)
        {
            case HttpStatusCode.OK:
                var tree = response.Read<GhTree>();
                if (tree.Truncated)
                {
                    throw new GitHubApiException(200, $"The tree of {repo} at {treeish} has more entries than GitHub lists in one answer.");
                }

                return tree.Tree.Where(e => e.Type == "blob").Select(e => e.Path).ToList();
            case HttpStatusCode.NotFound:
            case HttpStatusCode.UnprocessableEntity:
                await RequireRepositoryAsync(repo, cancellationToken).ConfigureAwait(false);
                return null;
            case HttpStatusCode.Conflict:
                return []; // empty repository
            default:
                throw response.Error($"GET tree {treeish} of {repo}");
        }
    }

    private async Task<List<GitCommit>> CommitsAsync(RepoRef repo, string sha, string? path, int max, CancellationToken cancellationToken)
    {
        var url = $"{RepoPath(repo)}/commits?sha={sha}&per_page={Math.Min(max, 100).ToString(CultureInfo.InvariantCulture)}" +
                  (path is null ? string.Empty : "&path=" + Uri.EscapeDataString(path));
        var items = await _api.GetPagesAsync<GhCommitItem>(url, max, _ => false, cancellationToken).ConfigureAwait(false);
        return items.Select(c => new GitCommit(c.Sha, c.Commit.Message.TrimEnd(), c.Commit.Author.Name, c.Commit.Author.Date)).ToList();
    }

    private async Task<GitRepository> RequireRepositoryAsync(RepoRef repo, CancellationToken cancellationToken) =>
        await GetRepositoryAsync(repo, cancellationToken).ConfigureAwait(false) ?? throw new GitNotFoundException($"Repository {repo} does not exist.");

    private static string RepoPath(RepoRef repo) => $"repos/{repo.Owner}/{repo.Name}";

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static GitRepository Map(GhRepo r, bool created) =>
        new(new RepoRef(r.Owner.Login, r.Name), r.DefaultBranch, r.CloneUrl, r.HtmlUrl, created);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Created GitHub repository {Repo}")]
    private static partial void LogRepositoryCreated(ILogger logger, string repo);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "Committed {Sha} to GitHub {Repo} branch {Branch} ({Changes} changes)")]
    private static partial void LogCommitted(ILogger logger, string repo, string branch, string sha, int changes);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "GitHub branch {Branch} of {Repo} moved during commit attempt {Attempt}; re-applying the changes")]
    private static partial void LogBranchMoved(ILogger logger, string repo, string branch, int attempt);
}
