using IdpServerless.Functions.Docs.Rendering;
using IdpServerless.Functions.Git;

namespace IdpServerless.Functions.Docs.Sources;

/// <summary>A docs tree in a repository, read through <see cref="IGitProvider"/> at one commit so a build never mixes revisions.</summary>
public sealed class GitDocsSource : IDocsSource
{
    private readonly IGitProvider _git;
    private readonly RepoRef _repo;
    private readonly string _folder;
    private readonly string _readRef;

    private GitDocsSource(IGitProvider git, RepoRef repo, string folder, string readRef, string? sha)
    {
        _git = git;
        _repo = repo;
        _folder = folder;
        _readRef = readRef;
        Revision = sha;
    }

    public string Description => $"git:{_repo}/{_folder}?ref={_readRef}";

    public string? Revision { get; }

    /// <summary>Pins <paramref name="gitRef"/> (null = default branch) to a commit when it is a branch.</summary>
    public static async Task<GitDocsSource> OpenAsync(IGitProvider git, RepoRef repo, string folder, string? gitRef, CancellationToken ct)
    {
        var repository = await git.GetRepositoryAsync(repo, ct).ConfigureAwait(false)
                         ?? throw new DocsSourceException($"Repository {repo} does not exist.");
        var branch = string.IsNullOrEmpty(gitRef) ? repository.DefaultBranch : gitRef;
        var sha = await git.GetHeadAsync(repo, branch, ct).ConfigureAwait(false);
        return new GitDocsSource(git, repo, folder, sha ?? branch, sha);
    }

    public async Task<IReadOnlyList<string>> ListFilesAsync(int max, CancellationToken cancellationToken)
    {
        var files = await _git.ListFilesAsync(_repo, _folder.Length == 0 ? null : _folder, _readRef, cancellationToken).ConfigureAwait(false);
        var prefix = _folder.Length == 0 ? string.Empty : _folder + "/";
        return files.Where(f => f.StartsWith(prefix, StringComparison.Ordinal))
            .Select(f => f[prefix.Length..])
            .Where(f => !f.Split('/').Any(p => p.StartsWith('.')))
            .Order(StringComparer.Ordinal)
            .Take(max)
            .ToList();
    }

    public async Task<byte[]?> ReadAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        var relative = DocPaths.Normalize(path) ?? throw new DocsSourceException($"'{path}' is not a path inside the docs folder.");
        var bytes = await _git.ReadFileAsync(_repo, DocPaths.Join(_folder, relative), _readRef, cancellationToken).ConfigureAwait(false);
        if (bytes is not null && bytes.Length > maxBytes)
        {
            throw new DocsSourceException($"{relative} is {bytes.Length} bytes; docs files may be at most {maxBytes} bytes.");
        }

        return bytes;
    }
}
