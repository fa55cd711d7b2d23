using System.Text;
using IdpServerless.Functions.Git;

namespace IdpServerless.Tests.Git;

/// <summary>
/// The behaviour every <see cref="IGitProvider"/> must show, run against each provider by a concrete subclass: the local
/// provider with real git, and the GitHub provider against a contract-faithful fake of GitHub's REST API.
/// </summary>
public abstract class GitProviderContract : IAsyncLifetime
{
    protected static readonly GitAuthor Author = new("Ada Lovelace", "ada@example.com");

    protected IGitProvider Git { get; private set; } = null!;

    /// <summary>An owner the provider may create repositories under.</summary>
    protected abstract string Owner { get; }

    /// <summary>Commits per concurrent writer (a fake round-trip costs more than a local git call).</summary>
    protected virtual int CommitsPerWriter => 3;

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    /// <summary>Bounds every call, so a hung provider fails the test instead of stalling the run.</summary>
    protected CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync() => Git = await CreateProviderAsync();

    public virtual Task DisposeAsync()
    {
        _timeout.Dispose();
        return Task.CompletedTask;
    }

    protected abstract Task<IGitProvider> CreateProviderAsync();

    protected RepoRef NewRepo() => new(Owner, "svc-" + Guid.NewGuid().ToString("N")[..10]);

    protected async Task<RepoRef> CreatedRepoAsync()
    {
        var repo = NewRepo();
        await Git.CreateRepositoryAsync(repo, "A service", Ct);
        return repo;
    }

    protected static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    protected static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);

    [Fact]
    public async Task Creating_a_repository_twice_reports_it_created_only_the_first_time()
    {
        var repo = NewRepo();

        var first = await Git.CreateRepositoryAsync(repo, "Payments service", Ct);
        var second = await Git.CreateRepositoryAsync(repo, "Payments service", Ct);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(repo, first.Ref);
        Assert.Equal("main", first.DefaultBranch);
        Assert.Equal(first.CloneUrl, second.CloneUrl);
        Assert.NotNull(await Git.GetHeadAsync(repo, "main", Ct));
        Assert.StartsWith($"# {repo.Name}", Text(await Git.ReadFileAsync(repo, "README.md", null, Ct)));
        Assert.Equal(first with { Created = false }, await Git.GetRepositoryAsync(repo, Ct));
        Assert.Contains(await Git.ListRepositoriesAsync(Owner, 1000, Ct), r => r.Ref == repo);
    }

    [Fact]
    public async Task Concurrent_creators_of_one_repository_see_exactly_one_creation()
    {
        var repo = NewRepo();

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => Git.CreateRepositoryAsync(repo, null, Ct))));

        Assert.Single(results, r => r.Created);
        Assert.Single(await Git.LogAsync(repo, "main", null, 10, Ct));
    }

    [Fact]
    public async Task A_missing_repository_is_null_and_reading_from_it_is_not_found()
    {
        var repo = NewRepo();

        Assert.Null(await Git.GetRepositoryAsync(repo, Ct));
        await Assert.ThrowsAsync<GitNotFoundException>(() => Git.ReadFileAsync(repo, "README.md", null, Ct));
        await Assert.ThrowsAsync<GitNotFoundException>(() => Git.GetHeadAsync(repo, "main", Ct));
        await Assert.ThrowsAsync<GitNotFoundException>(() => Git.CommitAsync(repo, "main", [new("a.txt", Utf8("a"))], "add", Author, null, Ct));
    }

    [Fact]
    public async Task One_commit_writes_several_files_and_a_later_one_edits_and_deletes()
    {
        var repo = await CreatedRepoAsync();
        byte[] binary = [0, 1, 2, 255, 254, 0, 10, 13];

        var first = await Git.CommitAsync(repo, "main",
            [new("app.yaml", Utf8("replicas: 1\n")), new("deploy/values.yaml", Utf8("image: v1\n")), new("deploy/charts/logo.bin", binary)],
            "Add app\n\nThree files at once.", Author, null, Ct);
        var second = await Git.CommitAsync(repo, "main",
            [new("app.yaml", Utf8("replicas: 3\n")), new("deploy/values.yaml", null), new("never-existed.txt", null)],
            "Scale up, drop values", Author, first.Sha, Ct);

        Assert.Equal(second.Sha, await Git.GetHeadAsync(repo, "main", Ct));
        Assert.Equal(["README.md", "app.yaml", "deploy/charts/logo.bin"], (await Git.ListFilesAsync(repo, null, null, Ct)).Order(StringComparer.Ordinal));
        Assert.Equal("replicas: 3\n", Text(await Git.ReadFileAsync(repo, "app.yaml", null, Ct)));
        Assert.Equal(binary, await Git.ReadFileAsync(repo, "deploy/charts/logo.bin", "main", Ct));
        Assert.Null(await Git.ReadFileAsync(repo, "deploy/values.yaml", null, Ct));
        var log = await Git.LogAsync(repo, "main", null, 10, Ct);
        Assert.Equal([second.Sha, first.Sha], log.Take(2).Select(c => c.Sha));
        Assert.Equal("Add app\n\nThree files at once.", log[1].Message);
        Assert.Equal("Ada Lovelace", log[0].AuthorName);
        Assert.Equal(second.Message, log[0].Message);
    }

    [Fact]
    public async Task Files_read_at_a_branch_or_an_older_sha_show_that_version()
    {
        var repo = await CreatedRepoAsync();
        var v1 = await Git.CommitAsync(repo, "main", [new("values.yaml", Utf8("tag: v1"))], "v1", Author, null, Ct);
        await Git.CommitAsync(repo, "main", [new("values.yaml", Utf8("tag: v2"))], "v2", Author, v1.Sha, Ct);

        Assert.Equal("tag: v1", Text(await Git.ReadFileAsync(repo, "values.yaml", v1.Sha, Ct)));
        Assert.Equal("tag: v2", Text(await Git.ReadFileAsync(repo, "values.yaml", "main", Ct)));
        Assert.Equal("tag: v2", Text(await Git.ReadFileAsync(repo, "values.yaml", null, Ct)));
        Assert.Null(await Git.ReadFileAsync(repo, "missing.yaml", "main", Ct));
        await Assert.ThrowsAsync<GitNotFoundException>(() => Git.ReadFileAsync(repo, "values.yaml", "no-such-branch", Ct));
    }

    [Fact]
    public async Task Listing_with_a_prefix_returns_only_that_folder()
    {
        var repo = await CreatedRepoAsync();
        await Git.CommitAsync(repo, "main",
            [new("docs/index.md", Utf8("# Docs")), new("docs/guides/setup.md", Utf8("setup")), new("docsite/x.md", Utf8("x")), new("src/main.cs", Utf8("//"))],
            "layout", Author, null, Ct);

        Assert.Equal(["docs/guides/setup.md", "docs/index.md"], (await Git.ListFilesAsync(repo, "docs", null, Ct)).Order(StringComparer.Ordinal));
        Assert.Equal(["docs/guides/setup.md", "docs/index.md"], (await Git.ListFilesAsync(repo, "docs/", "main", Ct)).Order(StringComparer.Ordinal));
        Assert.Empty(await Git.ListFilesAsync(repo, "doc", null, Ct));
        await Assert.ThrowsAsync<GitNotFoundException>(() => Git.ListFilesAsync(repo, null, "no-such-branch", Ct));
    }

    [Fact]
    public async Task The_log_is_newest_first_limited_and_filtered_by_path()
    {
        var repo = await CreatedRepoAsync();
        var a1 = await Git.CommitAsync(repo, "main", [new("a/one.txt", Utf8("1"))], "a1", Author, null, Ct);
        var b1 = await Git.CommitAsync(repo, "main", [new("b.txt", Utf8("1"))], "b1", Author, null, Ct);
        var a2 = await Git.CommitAsync(repo, "main", [new("a/two.txt", Utf8("2"))], "a2", Author, null, Ct);

        Assert.Equal([a2.Sha, b1.Sha, a1.Sha], (await Git.LogAsync(repo, "main", null, 3, Ct)).Select(c => c.Sha));
        Assert.Equal([a2.Sha, a1.Sha], (await Git.LogAsync(repo, "main", "a", 10, Ct)).Select(c => c.Sha));
        Assert.Equal([a2.Sha], (await Git.LogAsync(repo, "main", "a", 1, Ct)).Select(c => c.Sha));
        Assert.Equal([b1.Sha], (await Git.LogAsync(repo, "main", "b.txt", 10, Ct)).Select(c => c.Sha));
        await Assert.ThrowsAsync<GitNotFoundException>(() => Git.LogAsync(repo, "no-such-branch", null, 10, Ct));
    }

    [Fact]
    public async Task A_commit_is_found_by_its_exact_trailer_within_the_search_depth()
    {
        var repo = await CreatedRepoAsync();
        var target = await Git.CommitAsync(repo, "main", [new("values.yaml", Utf8("tag: 42"))], "Deploy 42 to dev\n\nIdp-Step: deploy-42\nIdp-Run: run-1", Author, null, Ct);
        await Git.CommitAsync(repo, "main", [new("values.yaml", Utf8("tag: 420"))], "Deploy 420 to dev\n\nIdp-Step: deploy-420", Author, null, Ct);
        await Git.CommitAsync(repo, "main", [new("notes.txt", Utf8("mentions Idp-Step: deploy-42 in the subject only"))], "Idp-Step: deploy-42", Author, null, Ct);

        var found = await Git.FindCommitByTrailerAsync(repo, "main", "Idp-Step", "deploy-42", 50, Ct);

        Assert.Equal(target.Sha, found?.Sha);
        Assert.Equal(target.Sha, (await Git.FindCommitByTrailerAsync(repo, "main", "idp-step", "deploy-42", 50, Ct))?.Sha);
        Assert.Null(await Git.FindCommitByTrailerAsync(repo, "main", "Idp-Step", "deploy-4", 50, Ct));
        Assert.Null(await Git.FindCommitByTrailerAsync(repo, "main", "Idp-Step", "deploy-42", 2, Ct));
        Assert.Equal(target.Sha, (await Git.FindCommitByTrailerAsync(repo, "main", "Idp-Step", "deploy-42", 3, Ct))?.Sha);
        Assert.Null(await Git.FindCommitByTrailerAsync(repo, "no-such-branch", "Idp-Step", "deploy-42", 50, Ct));
    }

    [Fact]
    public async Task A_commit_is_read_by_its_sha_and_a_missing_commit_or_repository_is_null()
    {
        var repo = await CreatedRepoAsync();
        var made = await Git.CommitAsync(repo, "main", [new("app.txt", Utf8("v1"))], "Build 1", Author, null, Ct);

        var read = await Git.GetCommitAsync(repo, made.Sha, Ct);

        Assert.Equal((made.Sha, "Build 1", Author.Name), (read?.Sha, read?.Message, read?.AuthorName));
        Assert.True((read!.At - made.At).Duration() < TimeSpan.FromSeconds(1), $"{read.At} vs {made.At}");
        Assert.Equal(made.Sha, (await Git.GetCommitAsync(repo, made.Sha.ToUpperInvariant(), Ct))?.Sha);
        Assert.Null(await Git.GetCommitAsync(repo, new string('0', 40), Ct));
        Assert.Null(await Git.GetCommitAsync(new RepoRef(repo.Owner, repo.Name + "-missing"), made.Sha, Ct));
        Assert.Throws<ArgumentException>(() => { _ = Git.GetCommitAsync(repo, "not-a-sha", Ct); });
    }

    [Fact]
    public async Task A_stale_expected_head_is_a_conflict_and_changes_nothing()
    {
        var repo = await CreatedRepoAsync();
        var stale = await Git.GetHeadAsync(repo, "main", Ct);
        var moved = await Git.CommitAsync(repo, "main", [new("a.txt", Utf8("first"))], "first", Author, stale, Ct);

        await Assert.ThrowsAsync<GitConflictException>(() =>
            Git.CommitAsync(repo, "main", [new("a.txt", Utf8("lost?"))], "second", Author, stale, Ct));
        await Assert.ThrowsAsync<GitConflictException>(() =>
            Git.CommitAsync(repo, "new-branch", [new("a.txt", Utf8("x"))], "on a branch that does not exist", Author, stale, Ct));

        Assert.Equal(moved.Sha, await Git.GetHeadAsync(repo, "main", Ct));
        Assert.Equal("first", Text(await Git.ReadFileAsync(repo, "a.txt", null, Ct)));
        Assert.Null(await Git.GetHeadAsync(repo, "new-branch", Ct));
    }

    [Fact]
    public async Task Committing_to_a_new_branch_starts_it_at_the_default_branch()
    {
        var repo = await CreatedRepoAsync();
        var main = await Git.CommitAsync(repo, "main", [new("app.yaml", Utf8("a"))], "app", Author, null, Ct);

        var feature = await Git.CommitAsync(repo, "env/staging", [new("staging.yaml", Utf8("s"))], "staging", Author, null, Ct);

        Assert.Equal(feature.Sha, await Git.GetHeadAsync(repo, "env/staging", Ct));
        Assert.Equal(["README.md", "app.yaml", "staging.yaml"], (await Git.ListFilesAsync(repo, null, "env/staging", Ct)).Order(StringComparer.Ordinal));
        Assert.Equal(main.Sha, await Git.GetHeadAsync(repo, "main", Ct));
        Assert.Equal(main.Sha, (await Git.LogAsync(repo, "env/staging", null, 2, Ct))[1].Sha);
    }

    [Fact]
    public async Task Ten_concurrent_committers_with_retry_loops_lose_no_commit()
    {
        var repo = await CreatedRepoAsync();
        const int writers = 10;
        var each = CommitsPerWriter;

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < each; i++)
            {
                while (true)
                {
                    var head = await Git.GetHeadAsync(repo, "main", Ct);
                    try
                    {
                        await Git.CommitAsync(repo, "main", [new($"writers/w{w}-{i}.txt", Utf8($"{w}/{i}"))], $"writer {w} commit {i}", Author, head, Ct);
                        break;
                    }
                    catch (GitConflictException)
                    {
                        // Someone else won the race: re-read the head and try again.
                    }
                }
            }
        })));

        var log = await Git.LogAsync(repo, "main", null, 1000, Ct);
        var expected = Enumerable.Range(0, writers).SelectMany(w => Enumerable.Range(0, each).Select(i => $"writer {w} commit {i}")).ToHashSet();
        Assert.Equal(writers * each + 1, log.Count);
        Assert.Subset(log.Select(c => c.Message).ToHashSet(), expected);
        Assert.Equal(writers * each, (await Git.ListFilesAsync(repo, "writers", null, Ct)).Count);
    }

    [Fact]
    public async Task Concurrent_commits_without_an_expected_head_are_all_applied()
    {
        var repo = await CreatedRepoAsync();

        await Task.WhenAll(Enumerable.Range(0, 6).Select(w => Task.Run(() =>
            Git.CommitAsync(repo, "main", [new($"free/{w}.txt", Utf8(w.ToString(System.Globalization.CultureInfo.InvariantCulture)))], $"free writer {w}", Author, null, Ct))));

        Assert.Equal(7, (await Git.LogAsync(repo, "main", null, 100, Ct)).Count);
        Assert.Equal(6, (await Git.ListFilesAsync(repo, "free", null, Ct)).Count);
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("a/../../escape.txt")]
    [InlineData("/etc/passwd")]
    [InlineData(".git/config")]
    [InlineData("docs/.GIT/hooks/pre-commit")]
    [InlineData("./a.txt")]
    [InlineData("a//b.txt")]
    [InlineData("a\\b.txt")]
    [InlineData("a/")]
    [InlineData("")]
    public async Task Paths_that_escape_the_repository_or_reach_git_internals_are_refused(string path)
    {
        var repo = await CreatedRepoAsync();
        var head = await Git.GetHeadAsync(repo, "main", Ct);

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Git.CommitAsync(repo, "main", [new(path, Utf8("pwned"))], "escape", Author, null, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Git.ReadFileAsync(repo, path, null, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Git.LogAsync(repo, "main", path, 10, Ct));

        Assert.Equal(head, await Git.GetHeadAsync(repo, "main", Ct));
    }

    [Theory]
    [InlineData("..", "x")]
    [InlineData("team", "..")]
    [InlineData("team", "a/b")]
    [InlineData("team", "x.git")]
    [InlineData(".hidden", "x")]
    [InlineData("team", "")]
    public async Task Repository_names_that_could_escape_the_data_folder_are_refused(string owner, string name)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Git.CreateRepositoryAsync(new RepoRef(owner, name), null, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Git.GetRepositoryAsync(new RepoRef(owner, name), Ct));
    }

    [Theory]
    [InlineData("-delete")]
    [InlineData("a..b")]
    [InlineData("a b")]
    [InlineData("head~1")]
    [InlineData("x.lock")]
    public async Task Branch_names_git_would_misread_are_refused(string branch)
    {
        var repo = await CreatedRepoAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Git.CommitAsync(repo, branch, [new("a.txt", Utf8("a"))], "x", Author, null, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Git.GetHeadAsync(repo, branch, Ct));
    }
}
