using System.Text.Json;

namespace IdpServerless.Functions.Git.GitHub;

// The shapes of GitHub REST v3 (API version 2022-11-28) that the provider reads and writes; only the fields it uses.
internal static class GitHubJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };
}

internal sealed record GhUser(string Login);

internal sealed record GhRepo(string Name, GhUser Owner, string DefaultBranch, string CloneUrl, string HtmlUrl);

internal sealed record GhCreateRepo(string Name, string? Description, bool Private, bool AutoInit);

internal sealed record GhObject(string Sha, string Type);

internal sealed record GhRef(string Ref, GhObject Object);

internal sealed record GhContent(string Type, string? Encoding, string? Content, string Sha, long Size);

internal sealed record GhBlobContent(string Content, string Encoding);

internal sealed record GhCreateBlob(string Content, string Encoding);

internal sealed record GhSha(string Sha);

internal sealed record GhSignature(string Name, string Email, DateTimeOffset Date);

internal sealed record GhGitCommit(string Sha, GhSha Tree, string Message, GhSignature Author, IReadOnlyList<GhSha> Parents);

/// <summary>An author to write: GitHub documents the date as ISO 8601 <c>YYYY-MM-DDTHH:MM:SSZ</c>.</summary>
internal sealed record GhNewSignature(string Name, string Email, string Date);

internal sealed record GhCreateCommit(string Message, string Tree, IReadOnlyList<string> Parents, GhNewSignature Author);

internal sealed record GhTreeEntry(string Path, string Mode, string Type, string? Sha);

internal sealed record GhTree(string Sha, IReadOnlyList<GhTreeEntry> Tree, bool Truncated);

/// <summary>A tree entry to write; a null <see cref="Sha"/> deletes the path (serialized as an explicit null).</summary>
internal sealed record GhNewTreeEntry(string Path, string Mode, string Type, string? Sha);

internal sealed record GhCreateTree(string? BaseTree, IReadOnlyList<GhNewTreeEntry> Tree);

internal sealed record GhUpdateRef(string Sha, bool Force);

internal sealed record GhCreateRef(string Ref, string Sha);

internal sealed record GhCommitDetail(string Message, GhSignature Author);

internal sealed record GhCommitItem(string Sha, GhCommitDetail Commit);

internal sealed record GhError(string? Message);
