using System.Globalization;
using System.Text.Json;

namespace IdpServerless.Functions.Webhooks;

/// <summary>A provider's webhook reduced to what the portal acts on. <see cref="Repository"/> is <c>owner/repo</c> (GitLab: the full path).</summary>
public abstract record GitEvent(string Host, string Repository);

/// <summary>Commits pushed to a branch or a tag; <see cref="CommittedAt"/> is the head commit's time when the payload lists it (DORA's lead time starts there).</summary>
public sealed record PushEvent(string Host, string Repository, string Ref, string? DefaultBranch, string After, IReadOnlyList<string> ChangedPaths, DateTimeOffset? CommittedAt = null)
    : GitEvent(Host, Repository)
{
    public string? Branch => Ref.StartsWith("refs/heads/", StringComparison.Ordinal) ? Ref["refs/heads/".Length..] : null;

    public string? Tag => Ref.StartsWith("refs/tags/", StringComparison.Ordinal) ? Ref["refs/tags/".Length..] : null;

    public bool ToDefaultBranch => Branch is { } b && DefaultBranch is { } d && string.Equals(b, d, StringComparison.Ordinal);
}

/// <summary>A release was published (GitHub release, GitLab tag push).</summary>
public sealed record ReleaseEvent(string Host, string Repository, string Tag) : GitEvent(Host, Repository);

/// <summary>A container image or package version was published.</summary>
public sealed record PackagePublishedEvent(string Host, string Repository, string Version) : GitEvent(Host, Repository);

/// <summary>A pull (merge) request changed; <see cref="Open"/> is its state after the change.</summary>
public sealed record PullRequestEvent(string Host, string Repository, long Number, bool Open, string? Title, DateTimeOffset UpdatedAt) : GitEvent(Host, Repository);

/// <summary>Reads GitHub and GitLab payloads (shapes as their webhook documentation gives them).</summary>
public static class GitEventReader
{
    private const string ZeroSha = "0000000000000000000000000000000000000000";

    /// <summary>The event, or null when the delivery asks for nothing (a deleted branch, a draft release, CI status).</summary>
    public static GitEvent? Read(WebhookEnvelope envelope)
    {
        var p = envelope.Payload;
        return (envelope.Provider, envelope.Event) switch
        {
            (GitHosts.GitHub, "push") => Push(GitHosts.GitHub, envelope, Str(p, "repository", "default_branch") ?? Str(p, "repository", "master_branch")),
            (GitHosts.GitHub, "release") when Str(p, "action") == "published" && Str(p, "release", "tag_name") is { Length: > 0 } tag =>
                new ReleaseEvent(GitHosts.GitHub, Repo(envelope), tag),
            (GitHosts.GitHub, "package" or "registry_package") => Package(envelope, envelope.Event),
            (GitHosts.GitHub, "pull_request") when p.TryGetProperty("pull_request", out var pr) => new PullRequestEvent(
                GitHosts.GitHub, Repo(envelope), Num(p, "number") ?? Num(pr, "number") ?? throw new JsonException("pull_request.number is missing."),
                Str(pr, "state") == "open", Str(pr, "title"), Time(Str(pr, "updated_at"), envelope.ReceivedAt)),
            (GitHosts.GitLab, "push") => Push(GitHosts.GitLab, envelope, Str(p, "project", "default_branch")),
            (GitHosts.GitLab, "tag_push") when Str(p, "after") is { } after && after != ZeroSha && Str(p, "ref") is { } r && r.StartsWith("refs/tags/", StringComparison.Ordinal) =>
                new ReleaseEvent(GitHosts.GitLab, Repo(envelope), r["refs/tags/".Length..]),
            (GitHosts.GitLab, "merge_request") when p.TryGetProperty("object_attributes", out var mr) => new PullRequestEvent(
                GitHosts.GitLab, Repo(envelope), Num(mr, "iid") ?? throw new JsonException("object_attributes.iid is missing."),
                Str(mr, "state") == "opened", Str(mr, "title"), Time(Str(mr, "updated_at"), envelope.ReceivedAt)),
            _ => null,
        };
    }

    private static PushEvent? Push(string host, WebhookEnvelope envelope, string? defaultBranch)
    {
        var p = envelope.Payload;
        var after = Str(p, "after") ?? string.Empty;
        if (after.Length == 0 || after == ZeroSha || p.TryGetProperty("deleted", out var d) && d.ValueKind == JsonValueKind.True)
        {
            return null;
        }

        var paths = new SortedSet<string>(StringComparer.Ordinal);
        DateTimeOffset? committedAt = null;
        if (p.TryGetProperty("commits", out var commits) && commits.ValueKind == JsonValueKind.Array)
        {
            foreach (var commit in commits.EnumerateArray())
            {
                // GitHub and GitLab both list the pushed commits with id and ISO 8601 timestamp; the head is the one at 'after'.
                if (Str(commit, "id") == after && Str(commit, "timestamp") is { } ts &&
                    DateTimeOffset.TryParse(ts, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
                {
                    committedAt = at;
                }

                foreach (var list in new[] { "added", "modified", "removed" })
                {
                    if (commit.TryGetProperty(list, out var files) && files.ValueKind == JsonValueKind.Array)
                    {
                        paths.UnionWith(files.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.String).Select(f => f.GetString()!));
                    }
                }
            }
        }

        return new PushEvent(host, Repo(envelope), Str(p, "ref") ?? throw new JsonException("ref is missing."), defaultBranch, after, [.. paths], committedAt);
    }

    private static PackagePublishedEvent? Package(WebhookEnvelope envelope, string root)
    {
        var p = envelope.Payload;
        if (Str(p, "action") != "published" || !p.TryGetProperty(root, out var package) || !package.TryGetProperty("package_version", out var version))
        {
            return null;
        }

        // Container images: the tag is the version; their package_version.version is only the digest.
        var tag = Str(version, "container_metadata", "tag", "name");
        var isContainer = (Str(package, "package_type") ?? string.Empty).ToUpperInvariant() is "CONTAINER" or "DOCKER";
        var v = !string.IsNullOrEmpty(tag) ? tag : isContainer ? null : Str(version, "version");
        return string.IsNullOrEmpty(v) ? null : new PackagePublishedEvent(GitHosts.GitHub, Repo(envelope), v);
    }

    private static string Repo(WebhookEnvelope envelope) =>
        envelope.Repository ?? throw new JsonException("The payload names no repository.");

    private static string? Str(JsonElement e, params string[] path)
    {
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e))
            {
                return null;
            }
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString() : null;
    }

    private static long? Num(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    /// <summary>ISO 8601 (GitHub, newer GitLab) or GitLab's older <c>2013-12-03 17:23:34 UTC</c>.</summary>
    private static DateTimeOffset Time(string? text, DateTimeOffset fallback)
    {
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        var normalized = text.EndsWith(" UTC", StringComparison.Ordinal) ? text[..^4] + "Z" : text;
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : fallback;
    }
}
