using System.Text;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Git;

/// <summary>
/// Read-only browsing of the repositories the portal manages (the browser app links here as each repository's
/// <see cref="GitRepository.WebUrl"/> under the local provider). Works against whichever provider is configured.
/// </summary>
public static class GitApi
{
    public const string Prefix = "/api/git";
    private const int MaxList = 1000;

    /// <summary>The portal's browse URL of a repository.</summary>
    public static string WebUrl(RepoRef repo) => $"{Prefix}/repos/{repo.Owner}/{repo.Name}";

    public static IEndpointRouteBuilder MapGitApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).WithTags("Git").AddEndpointFilter(TranslateErrors);

        group.MapGet("/repos", async (IGitProvider git, string? owner, int? max, CancellationToken ct) =>
            Results.Ok(new RepositoryList((await git.ListRepositoriesAsync(owner, Limit(max, 200), ct)).Select(RepositoryView.From).ToList())))
            .WithName("GitListRepositories").RequirePermission(Permissions.CatalogRead);

        group.MapGet("/repos/{owner}/{name}", async (IGitProvider git, string owner, string name, CancellationToken ct) =>
            await git.GetRepositoryAsync(Repo(owner, name), ct) is { } repo
                ? Results.Ok(RepositoryView.From(repo))
                : throw ProblemException.NotFound($"Repository {owner}/{name} does not exist."))
            .WithName("GitGetRepository").RequirePermission(Permissions.CatalogRead);

        group.MapGet("/repos/{owner}/{name}/tree", async (IGitProvider git, string owner, string name, string? @ref, string? path, CancellationToken ct) =>
            Results.Ok(new TreeView(@ref, path, await git.ListFilesAsync(Repo(owner, name), path, @ref, ct))))
            .WithName("GitListFiles").RequirePermission(Permissions.CatalogRead);

        group.MapGet("/repos/{owner}/{name}/files", async (IGitProvider git, string owner, string name, string? path, string? @ref, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(path))
            {
                throw ProblemException.Validation("path", "is required.");
            }

            var bytes = await git.ReadFileAsync(Repo(owner, name), path, @ref, ct)
                        ?? throw ProblemException.NotFound($"{path} does not exist in {owner}/{name} at {@ref ?? "the default branch"}.");
            return Results.Bytes(bytes, IsText(bytes) ? "text/plain; charset=utf-8" : "application/octet-stream");
        }).WithName("GitReadFile").RequirePermission(Permissions.CatalogRead);

        group.MapGet("/repos/{owner}/{name}/commits", async (IGitProvider git, string owner, string name, string? branch, string? path, int? max, CancellationToken ct) =>
        {
            var repo = Repo(owner, name);
            var target = branch ?? (await git.GetRepositoryAsync(repo, ct) ?? throw ProblemException.NotFound($"Repository {repo} does not exist.")).DefaultBranch;
            return Results.Ok(new CommitList(target, await git.LogAsync(repo, target, path, Limit(max, 50), ct)));
        }).WithName("GitListCommits").RequirePermission(Permissions.CatalogRead);

        return app;
    }

    private static RepoRef Repo(string owner, string name) => GitInput.Repo(new RepoRef(owner, name));

    private static int Limit(int? max, int fallback) => max switch
    {
        null => fallback,
        < 1 or > MaxList => throw ProblemException.Validation("max", $"must be between 1 and {MaxList}."),
        _ => max.Value,
    };

    private static bool IsText(byte[] bytes)
    {
        if (Array.IndexOf(bytes, (byte)0) >= 0)
        {
            return false;
        }

        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static async ValueTask<object?> TranslateErrors(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ArgumentException e)
        {
            var field = e.ParamName switch
            {
                "repo" => "name",
                "gitRef" => "ref",
                "prefix" => "path",
                null => "request",
                var p => p,
            };
            throw ProblemException.Validation(field, e.Message.Split(" (Parameter", 2)[0]);
        }
        catch (GitNotFoundException e)
        {
            throw ProblemException.NotFound(e.Message);
        }

        // GitHub's own failures (GitHubApiException) are answered by the error middleware as 502/503/504.
    }

    private sealed record RepositoryList(IReadOnlyList<RepositoryView> Items);

    private sealed record RepositoryView(string Owner, string Name, string DefaultBranch, string CloneUrl, string WebUrl)
    {
        public static RepositoryView From(GitRepository r) => new(r.Ref.Owner, r.Ref.Name, r.DefaultBranch, r.CloneUrl, r.WebUrl);
    }

    private sealed record TreeView(string? Ref, string? Path, IReadOnlyList<string> Files);

    private sealed record CommitList(string Branch, IReadOnlyList<GitCommit> Items);
}
