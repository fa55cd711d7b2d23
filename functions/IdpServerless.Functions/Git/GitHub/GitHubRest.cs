using System.Text.Json;
using Octokit;

namespace IdpServerless.Functions.Git.GitHub;

/// <summary>
/// The few calls Octokit's typed clients make differently from what the provider needs, sent through the client's own
/// connection (same credentials, errors and models): paths are escaped per segment (Octokit escapes only '#'), a branch
/// is read from the single-ref endpoint (Octokit's Reference.Get matches <c>git/refs</c> by prefix, so
/// <c>heads/main</c> could answer <c>heads/main-2</c>), and a tree that deletes paths carries <c>"sha": null</c>,
/// which Octokit's serializer drops from <see cref="NewTreeItem"/>.
/// </summary>
internal static class GitHubRest
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A file (one entry) or a folder's entries. Not through Octokit's paging, whose 404 drops GitHub's message ("No commit found for the ref").</summary>
    public static async Task<IReadOnlyList<RepositoryContent>> ContentsAsync(IGitHubClient client, RepoRef repo, string path, string? gitRef) =>
        await Api(client).Get<List<RepositoryContent>>(
            Relative($"{Repo(repo)}/contents/{Escape(path)}"),
            gitRef is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["ref"] = gitRef }).ConfigureAwait(false);

    public static Task<Reference> BranchAsync(IGitHubClient client, RepoRef repo, string branch) =>
        Api(client).Get<Reference>(Relative($"{Repo(repo)}/git/ref/heads/{Escape(branch)}"));

    public static Task<Reference> MoveBranchAsync(IGitHubClient client, RepoRef repo, string branch, string sha) =>
        Api(client).Patch<Reference>(Relative($"{Repo(repo)}/git/refs/heads/{Escape(branch)}"), new ReferenceUpdate(sha, force: false));

    public static Task<TreeResponse> TreeAsync(IGitHubClient client, RepoRef repo, string treeish) =>
        Api(client).Get<TreeResponse>(Relative($"{Repo(repo)}/git/trees/{Escape(treeish)}"), new Dictionary<string, string> { ["recursive"] = "1" });

    /// <summary>A tree on <paramref name="baseTree"/> writing blob <paramref name="writes"/> and deleting <paramref name="deletes"/>; its sha.</summary>
    public static async Task<string> CreateTreeAsync(IGitHubClient client, RepoRef repo, string? baseTree, IReadOnlyList<(string Path, string Sha)> writes, IReadOnlyList<string> deletes)
    {
        if (deletes.Count == 0)
        {
            var tree = new NewTree { BaseTree = baseTree };
            foreach (var (path, sha) in writes)
            {
                tree.Tree.Add(new NewTreeItem { Path = path, Mode = "100644", Type = TreeType.Blob, Sha = sha });
            }

            return (await client.Git.Tree.Create(repo.Owner, repo.Name, tree).ConfigureAwait(false)).Sha;
        }

        var entries = writes.Select(w => new Entry(w.Path, w.Sha)).Concat(deletes.Select(d => new Entry(d, null)));
        var body = JsonSerializer.Serialize(new TreeBody(baseTree, entries.ToList()), Json);
        return (await Api(client).Post<TreeResponse>(Relative($"{Repo(repo)}/git/trees"), body, AcceptHeaders.StableVersionJson, "application/json").ConfigureAwait(false)).Sha;
    }

    private static ApiConnection Api(IGitHubClient client) => new(client.Connection);

    private static Uri Relative(string path) => new(path, UriKind.Relative);

    private static string Repo(RepoRef repo) => $"repos/{Uri.EscapeDataString(repo.Owner)}/{Uri.EscapeDataString(repo.Name)}";

    private static string Escape(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private sealed record TreeBody(
        [property: System.Text.Json.Serialization.JsonPropertyName("base_tree")]
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        string? BaseTree,
        IReadOnlyList<Entry> Tree);

    /// <summary>A blob entry; <see cref="Sha"/> null (sent as an explicit null) deletes the path.</summary>
    private sealed record Entry(string Path, string? Sha)
    {
        public string Mode => "100644";

        public string Type => "blob";
    }
}
