using System.Text.Json.Nodes;
using IdpServerless.Functions.Git;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>
/// <c>publish:git</c>: creates the app repository through the configured git provider (local bare repository by
/// default, GitHub when configured) and commits the workspace to it. Idempotent: the repository is created at most once
/// (<see cref="IGitProvider.CreateRepositoryAsync"/> returns an existing one) and the commit carries a
/// <c>Scaffolder-Step</c> trailer, so a retried step finds its commit instead of making a second.
/// </summary>
public sealed class PublishGitAction(IServiceProvider services) : IScaffolderAction
{
    public const string Trailer = "Scaffolder-Step";

    public string Id => "publish:git";

    public string Description => "Creates a repository with the git provider (local or GitHub) and pushes the workspace to its default branch.";

    public JsonObject InputSchema { get; } = Schemas.Object(
        ["repoUrl"],
        ("repoUrl", Schemas.String("Repository: host?owner=o&repo=r (RepoUrlPicker) or owner/name.")),
        ("description", Schemas.String("Repository description.")),
        ("sourcePath", Schemas.String("Workspace folder to publish (default: the whole workspace).")),
        ("gitCommitMessage", Schemas.String("Message of the initial commit (default: 'Initial commit from template').")));

    public JsonObject OutputSchema { get; } = Schemas.Object(
        [],
        ("remoteUrl", Schemas.String("Clone URL of the repository.")),
        ("repoContentsUrl", Schemas.String("Browsable URL of the repository contents.")),
        ("commitHash", Schemas.String("The commit made.")),
        ("repository", Schemas.String("owner/name.")));

    public async Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var repo = RepoUrls.Parse(context.RequireString("repoUrl"));
        var files = context.Workspace.Under(context.GetString("sourcePath")).ToList();
        if (files.Count == 0)
        {
            throw new ActionFailedException($"Nothing to publish: the workspace{(context.GetString("sourcePath") is { } p ? $" folder '{p}'" : string.Empty)} is empty.");
        }

        if (context.IsDryRun)
        {
            await context.LogAsync($"Dry run: would create repository {repo} and commit {files.Count} file(s).");
            context.Output("remoteUrl", $"dry-run://{repo}");
            context.Output("repoContentsUrl", $"git:{repo}");
            context.Output("commitHash", "0000000000000000000000000000000000000000");
            context.Output("repository", repo.ToString());
            return;
        }

        var git = services.GetService<IGitProvider>() ?? throw new ActionFailedException("No git provider is configured.");
        var created = await git.CreateRepositoryAsync(repo, context.GetString("description"), cancellationToken);
        await context.LogAsync(created.Created ? $"Created repository {repo}." : $"Repository {repo} already exists; reusing it.");
        var commit = await CommitOnceAsync(git, created, files.Select(f => new GitChange(f.Key, f.Value.Content)).ToList(),
            context.GetString("gitCommitMessage") ?? "Initial commit from template", context, cancellationToken);
        context.Output("remoteUrl", created.CloneUrl);
        context.Output("repoContentsUrl", created.WebUrl);
        context.Output("commitHash", commit.Sha);
        context.Output("repository", repo.ToString());
    }

    /// <summary>Commits <paramref name="changes"/> unless a commit with this step's trailer is already on the branch.</summary>
    internal static async Task<GitCommit> CommitOnceAsync(IGitProvider git, GitRepository repo, IReadOnlyList<GitChange> changes, string message, ActionContext context, CancellationToken cancellationToken)
    {
        var existing = await git.FindCommitByTrailerAsync(repo.Ref, repo.DefaultBranch, Trailer, context.IdempotencyKey, 200, cancellationToken);
        if (existing is not null)
        {
            await context.LogAsync($"Commit {existing.Sha[..Math.Min(12, existing.Sha.Length)]} of this step is already on {repo.Ref}@{repo.DefaultBranch}.");
            return existing;
        }

        var commit = await git.CommitAsync(repo.Ref, repo.DefaultBranch, changes, $"{message}\n\n{Trailer}: {context.IdempotencyKey}", context.Author, null, cancellationToken);
        await context.LogAsync($"Committed {changes.Count} file(s) to {repo.Ref}@{repo.DefaultBranch} ({commit.Sha[..Math.Min(12, commit.Sha.Length)]}).");
        return commit;
    }
}
