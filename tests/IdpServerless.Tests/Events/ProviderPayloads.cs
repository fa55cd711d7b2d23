using System.Text.Json;

namespace IdpServerless.Tests.Events;

/// <summary>Webhook bodies shaped like the examples in GitHub's and GitLab's webhook documentation (trimmed to the fields that matter plus some that do not).</summary>
public static class ProviderPayloads
{
    private static object GitHubRepo(string owner, string name) => new
    {
        id = 1296269,
        node_id = "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        name,
        full_name = $"{owner}/{name}",
        @private = false,
        owner = new { login = owner, id = 1, type = "Organization" },
        html_url = $"https://github.com/{owner}/{name}",
        default_branch = "main",
        master_branch = "main",
    };

    public static string GitHubPush(string owner, string repo, string branch, string after, params string[][] changedPerCommit) => Json(new
    {
        @ref = $"refs/heads/{branch}",
        before = "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        after,
        created = false,
        deleted = false,
        forced = false,
        compare = $"https://github.com/{owner}/{repo}/compare/6113728f27ae...{after[..12]}",
        commits = changedPerCommit.Select((files, i) => new
        {
            id = i == changedPerCommit.Length - 1 ? after : $"{i:D40}",
            tree_id = "f9d2a07e9488b91af2641b26b9407fe22a451433",
            distinct = true,
            message = "Update catalog-info.yaml",
            timestamp = "2024-05-02T10:15:00+02:00",
            author = new { name = "Jane", email = "jane@example.com", username = "jane" },
            added = Array.Empty<string>(),
            removed = Array.Empty<string>(),
            modified = files,
        }).ToArray(),
        repository = GitHubRepo(owner, repo),
        pusher = new { name = "jane", email = "jane@example.com" },
        sender = new { login = "jane", id = 2 },
    });

    public static string GitHubRelease(string owner, string repo, string tag, string action = "published") => Json(new
    {
        action,
        release = new
        {
            url = $"https://api.github.com/repos/{owner}/{repo}/releases/1",
            id = 1,
            tag_name = tag,
            target_commitish = "main",
            name = tag,
            draft = false,
            prerelease = false,
            created_at = "2024-05-02T10:00:00Z",
            published_at = "2024-05-02T10:01:00Z",
        },
        repository = GitHubRepo(owner, repo),
        sender = new { login = "jane", id = 2 },
    });

    public static string GitHubRegistryPackage(string owner, string repo, string tag) => Json(new
    {
        action = "published",
        registry_package = new
        {
            id = 3,
            name = repo,
            @namespace = owner,
            ecosystem = "CONTAINER",
            package_type = "CONTAINER",
            package_version = new
            {
                id = 4,
                version = "sha256:2f3a1b6c0e1d6b9c4e3b1e6a0d5f4c3b2a1908f7e6d5c4b3a29180706f5e4d3c",
                container_metadata = new { tag = new { name = tag, digest = "sha256:2f3a1b" }, labels = new { } },
                package_url = $"ghcr.io/{owner}/{repo}:{tag}",
            },
            registry = new { name = "GitHub CR", url = "https://ghcr.io", type = "docker" },
        },
        repository = GitHubRepo(owner, repo),
        sender = new { login = "ci-bot", id = 3 },
    });

    public static string GitHubPullRequest(string owner, string repo, int number, string action, string state, DateTimeOffset updatedAt) => Json(new
    {
        action,
        number,
        pull_request = new
        {
            url = $"https://api.github.com/repos/{owner}/{repo}/pulls/{number}",
            number,
            state,
            locked = false,
            title = $"Change {number}",
            user = new { login = "jane" },
            created_at = "2024-05-01T09:00:00Z",
            updated_at = updatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            merged = false,
            head = new { @ref = "feature", sha = "8a4f1e0" },
            @base = new { @ref = "main", sha = "6113728" },
        },
        repository = GitHubRepo(owner, repo),
        sender = new { login = "jane", id = 2 },
    });

    private static object GitLabProject(string path) => new
    {
        id = 15,
        name = path.Split('/')[^1],
        description = "",
        web_url = $"https://gitlab.example.com/{path}",
        git_http_url = $"https://gitlab.example.com/{path}.git",
        @namespace = path.Split('/')[0],
        visibility_level = 0,
        path_with_namespace = path,
        default_branch = "main",
    };

    public static string GitLabPush(string path, string branch, string after, params string[] modified) => Json(new
    {
        object_kind = "push",
        event_name = "push",
        before = "95790bf891e76fee5e1747ab589903a6a1f80f22",
        after,
        @ref = $"refs/heads/{branch}",
        ref_protected = true,
        checkout_sha = after,
        user_id = 4,
        user_name = "John Smith",
        user_username = "jsmith",
        project_id = 15,
        project = GitLabProject(path),
        commits = new[]
        {
            new { id = after, message = "Update Catalog", timestamp = "2011-12-12T14:27:31+02:00", added = Array.Empty<string>(), modified, removed = Array.Empty<string>() },
        },
        total_commits_count = 1,
    });

    public static string GitLabTagPush(string path, string tag) => Json(new
    {
        object_kind = "tag_push",
        event_name = "tag_push",
        before = "0000000000000000000000000000000000000000",
        after = "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7",
        @ref = $"refs/tags/{tag}",
        ref_protected = true,
        checkout_sha = "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7",
        user_id = 1,
        user_name = "John Smith",
        project_id = 1,
        project = GitLabProject(path),
        commits = Array.Empty<object>(),
        total_commits_count = 0,
    });

    public static string GitLabMergeRequest(string path, int iid, string state, string action, string updatedAt) => Json(new
    {
        object_kind = "merge_request",
        event_type = "merge_request",
        user = new { id = 1, name = "Administrator", username = "root" },
        project = GitLabProject(path),
        object_attributes = new
        {
            id = 99,
            iid,
            target_branch = "main",
            source_branch = "ms-viewport",
            title = "MS-Viewport",
            created_at = "2013-12-03T17:23:34Z",
            updated_at = updatedAt,
            state,
            action,
            merge_status = "unchecked",
        },
    });

    public static string GitLabPipeline(string path, string status) => Json(new
    {
        object_kind = "pipeline",
        object_attributes = new { id = 31, iid = 3, @ref = "main", tag = false, sha = "bcbb5ec396a2c0f828686f14fac9b80b780504f2", status, stages = new[] { "build", "test", "deploy" } },
        project = GitLabProject(path),
    });

    private static string Json(object value) => JsonSerializer.Serialize(value);
}
