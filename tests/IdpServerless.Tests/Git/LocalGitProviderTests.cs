using IdpServerless.Functions.Git;
using IdpServerless.Functions.Git.Local;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace IdpServerless.Tests.Git;

/// <summary>The provider contract against the local provider: bare repositories driven by the real git CLI.</summary>
public sealed class LocalGitProviderTests : GitProviderContract
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "idp-git-tests-" + Guid.NewGuid().ToString("N"));

    protected override string Owner => "team-a";

    protected override Task<IGitProvider> CreateProviderAsync()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["IDP_DATA_DIR"] = _dataDir }).Build();
        var services = new ServiceCollection().AddLogging().AddGitProvider(config).BuildServiceProvider();
        return Task.FromResult(services.GetRequiredService<IGitProvider>());
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    [Fact]
    public void The_local_provider_is_the_default()
    {
        Assert.IsType<LocalGitProvider>(Git);
    }

    [Fact]
    public async Task Repositories_are_bare_repositories_in_the_data_folder_that_git_can_clone()
    {
        var repo = await CreatedRepoAsync();
        var commit = await Git.CommitAsync(repo, "main", [new("catalog-info.yaml", Utf8("kind: Component\n"))], "Register", Author, null, Ct);
        var info = await Git.GetRepositoryAsync(repo, Ct);
        var clone = Path.Combine(_dataDir, "clone");

        Assert.True(File.Exists(Path.Combine(_dataDir, "git", repo.Owner, repo.Name + ".git", "HEAD")));
        Assert.StartsWith("file:///", info!.CloneUrl);
        Assert.Equal($"/api/git/repos/{repo.Owner}/{repo.Name}", info.WebUrl);
        await GitProcess.RunCheckedAsync(_dataDir, "clone", "--quiet", info.CloneUrl, clone);
        Assert.Equal("kind: Component\n", await File.ReadAllTextAsync(Path.Combine(clone, "catalog-info.yaml"), Ct));
        Assert.Equal(commit.Sha, await GitProcess.RunCheckedAsync(clone, "rev-parse", "HEAD"));
        Assert.Equal("Ada Lovelace <ada@example.com>", await GitProcess.RunCheckedAsync(clone, "log", "-1", "--format=%an <%ae>"));
    }

    [Fact]
    public async Task Refused_paths_leave_nothing_outside_the_repository()
    {
        var repo = await CreatedRepoAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Git.CommitAsync(repo, "main", [new("../../escape.txt", Utf8("x"))], "x", Author, null, Ct));

        Assert.Empty(Directory.GetFiles(_dataDir, "escape.txt", SearchOption.AllDirectories));
        Assert.DoesNotContain(await Git.ListFilesAsync(repo, null, null, Ct), p => p.Contains("escape", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_developer_pushing_from_other_processes_and_the_portal_committing_at_once_lose_nothing()
    {
        var repo = await CreatedRepoAsync();
        var info = await Git.GetRepositoryAsync(repo, Ct);
        var clone = Path.Combine(_dataDir, "dev-clone");
        await GitProcess.RunCheckedAsync(_dataDir, "clone", "--quiet", info!.CloneUrl, clone);
        const int pushes = 8;

        // Every git invocation below is its own process writing to the same bare repository the provider commits to.
        var developer = Task.Run(async () =>
        {
            for (var i = 0; i < pushes; i++)
            {
                await File.WriteAllTextAsync(Path.Combine(clone, $"dev-{i}.txt"), $"{i}", Ct);
                await GitProcess.RunCheckedAsync(clone, "add", "-A");
                await GitProcess.RunCheckedAsync(clone, "commit", "--quiet", "-m", $"developer push {i}");
                while ((await GitProcess.RunAsync(clone, "push", "--quiet", "origin", "HEAD:main")).ExitCode != 0)
                {
                    await GitProcess.RunCheckedAsync(clone, "pull", "--quiet", "--rebase", "origin", "main");
                }
            }
        });
        var portal = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 4; i++)
            {
                while (true)
                {
                    var head = await Git.GetHeadAsync(repo, "main", Ct);
                    try
                    {
                        await Git.CommitAsync(repo, "main", [new($"portal/{w}-{i}.txt", Utf8("p"))], $"portal {w} {i}", Author, head, Ct);
                        break;
                    }
                    catch (GitConflictException)
                    {
                    }
                }
            }
        }));
        await Task.WhenAll([developer, .. portal]);

        var messages = (await Git.LogAsync(repo, "main", null, 1000, Ct)).Select(c => c.Message).ToHashSet();
        Assert.All(Enumerable.Range(0, pushes), i => Assert.Contains($"developer push {i}", messages));
        Assert.All(Enumerable.Range(0, 4).SelectMany(w => Enumerable.Range(0, 4).Select(i => $"portal {w} {i}")), m => Assert.Contains(m, messages));
        Assert.Equal(pushes, (await Git.ListFilesAsync(repo, null, null, Ct)).Count(p => p.StartsWith("dev-", StringComparison.Ordinal)));
        Assert.Equal(16, (await Git.ListFilesAsync(repo, "portal", null, Ct)).Count);
    }

    [Fact]
    public void Unknown_provider_settings_stop_the_app_naming_the_setting()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["IDP_GIT_PROVIDER"] = "gitea" }).Build();

        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddGitProvider(config));

        Assert.Contains("IDP_GIT_PROVIDER", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_provider_built_by_hand_shares_repositories_with_the_registered_one()
    {
        var repo = await CreatedRepoAsync();
        var other = new LocalGitProvider(new GitOptions { DataDir = _dataDir }, TimeProvider.System, NullLogger<LocalGitProvider>.Instance);

        Assert.NotNull(await other.GetRepositoryAsync(repo, Ct));
        Assert.False((await other.CreateRepositoryAsync(repo, null, Ct)).Created);
    }
}
