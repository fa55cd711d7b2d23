using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace IdpServerless.Tests.Git.Fakes;

// Contents, references, blobs, trees, commits and the commit list.
public sealed partial class FakeGitHub
{
    private const int LargeFileBytes = 1024 * 1024;

    private void MapGitData(WebApplication app)
    {
        app.MapGet("/repos/{owner}/{repo}/contents/{**path}", (HttpContext c, string owner, string repo, string path, string? @ref) =>
            WithRepo(owner, repo, r => Contents(c, r, path, @ref)));

        app.MapGet("/repos/{owner}/{repo}/git/ref/{**name}", (HttpContext c, string owner, string repo, string name) => WithRepo(owner, repo, r =>
        {
            if (r.Refs.Count == 0)
            {
                return Error(409, "Git Repository is empty.");
            }

            return r.Refs.TryGetValue("refs/" + name, out var sha) ? Ok(RefJson(c, r, "refs/" + name, sha)) : NotFound();
        }));

        app.MapPost("/repos/{owner}/{repo}/git/refs", (HttpContext c, string owner, string repo, JsonElement body) => WithRepo(owner, repo, r =>
        {
            var name = Str(body, "ref");
            var sha = Str(body, "sha");
            if (name is null || !name.StartsWith("refs/", StringComparison.Ordinal) || name.Count(ch => ch == '/') < 2)
            {
                return Error(422, "Reference name is invalid");
            }

            if (sha is null || r.Objects.Commit(sha) is null)
            {
                return Error(422, "Object does not exist");
            }

            if (r.Refs.ContainsKey(name))
            {
                return Error(422, "Reference already exists");
            }

            r.Refs[name] = sha;
            return Ok(RefJson(c, r, name, sha), 201);
        }));

        app.MapMethods("/repos/{owner}/{repo}/git/refs/{**name}", ["PATCH"], (HttpContext c, string owner, string repo, string name, JsonElement body) => WithRepo(owner, repo, r =>
        {
            var full = "refs/" + name;
            var sha = Str(body, "sha");
            var force = body.TryGetProperty("force", out var f) && f.ValueKind == JsonValueKind.True;
            if (name.StartsWith("heads/", StringComparison.Ordinal))
            {
                BeforeRefUpdate?.Invoke(this, r.Owner, r.Name, name["heads/".Length..]);
            }

            if (!r.Refs.TryGetValue(full, out var current))
            {
                return Error(422, "Reference does not exist");
            }

            if (sha is null || r.Objects.Commit(sha) is null)
            {
                return Error(422, "Object does not exist");
            }

            if (!force && !r.Objects.IsAncestor(current, sha))
            {
                return Error(422, "Update is not a fast forward");
            }

            r.Refs[full] = sha;
            return Ok(RefJson(c, r, full, sha));
        }));

        app.MapPost("/repos/{owner}/{repo}/git/blobs", (HttpContext c, string owner, string repo, JsonElement body) => WithRepo(owner, repo, r =>
        {
            var content = Str(body, "content");
            var encoding = Str(body, "encoding") ?? "utf-8";
            if (content is null)
            {
                return Error(422, "Invalid request.\n\n\"content\" wasn't supplied.");
            }

            byte[] bytes;
            try
            {
                bytes = encoding switch
                {
                    "base64" => Convert.FromBase64String(content),
                    "utf-8" => System.Text.Encoding.UTF8.GetBytes(content),
                    _ => throw new FormatException(),
                };
            }
            catch (FormatException)
            {
                return Error(422, "Invalid request.\n\nEncoding or content is invalid.");
            }

            var sha = r.Objects.PutBlob(bytes);
            return Ok(new { url = Url(c, $"repos/{r.Owner}/{r.Name}/git/blobs/{sha}"), sha }, 201);
        }));

        app.MapGet("/repos/{owner}/{repo}/git/blobs/{sha}", (HttpContext c, string owner, string repo, string sha) => WithRepo(owner, repo, r =>
            r.Objects.Blob(sha) is { } bytes
                ? Ok(new { sha, node_id = "B_" + sha[..8], size = bytes.Length, url = Url(c, $"repos/{r.Owner}/{r.Name}/git/blobs/{sha}"), content = Base64Lines(bytes), encoding = "base64" })
                : NotFound()));

        app.MapPost("/repos/{owner}/{repo}/git/trees", (HttpContext c, string owner, string repo, JsonElement body) => WithRepo(owner, repo, r => CreateTree(c, r, body)));

        app.MapGet("/repos/{owner}/{repo}/git/trees/{**treeish}", (HttpContext c, string owner, string repo, string treeish, string? recursive) => WithRepo(owner, repo, r =>
        {
            if (r.Refs.Count == 0)
            {
                return Error(409, "Git Repository is empty.");
            }

            var treeSha = r.Objects.Tree(treeish) is not null ? treeish : Resolve(r, treeish) is { } commit ? r.Objects.Commit(commit)!.Tree : null;
            return treeSha is null ? NotFound() : Ok(TreeJson(c, r, treeSha, recursive is not null and not "0" and not "false"));
        }));

        app.MapGet("/repos/{owner}/{repo}/git/commits/{sha}", (HttpContext c, string owner, string repo, string sha) => WithRepo(owner, repo, r =>
            r.Objects.Commit(sha) is { } commit ? Ok(GitCommitJson(c, r, commit)) : NotFound()));

        app.MapPost("/repos/{owner}/{repo}/git/commits", (HttpContext c, string owner, string repo, JsonElement body) => WithRepo(owner, repo, r => CreateCommit(c, r, body)));

        app.MapGet("/repos/{owner}/{repo}/commits", (HttpContext c, string owner, string repo, string? sha, string? path) => WithRepo(owner, repo, r =>
        {
            if (r.Refs.Count == 0)
            {
                return Error(409, "Git Repository is empty.");
            }

            var start = Resolve(r, sha ?? r.DefaultBranch);
            if (start is null)
            {
                return Error(404, $"No commit found for SHA: {sha}");
            }

            var history = History(r, start).Where(commit => path is null || Touches(r, commit, path)).ToList();
            return Page(c, history, commit => new
            {
                sha = commit.Sha,
                node_id = "C_" + commit.Sha[..8],
                commit = new { author = Signature(commit), committer = Signature(commit), message = commit.Message, tree = new { sha = commit.Tree, url = Url(c, $"repos/{r.Owner}/{r.Name}/git/trees/{commit.Tree}") } },
                url = Url(c, $"repos/{r.Owner}/{r.Name}/commits/{commit.Sha}"),
                parents = commit.Parents.Select(p => new { sha = p, url = Url(c, $"repos/{r.Owner}/{r.Name}/commits/{p}") }),
            });
        }));
    }

    private IResult WithRepo(string owner, string repo, Func<FakeRepository, IResult> action)
    {
        lock (_gate)
        {
            return _repos.TryGetValue($"{owner}/{repo}", out var r) ? action(r) : NotFound();
        }
    }

    private IResult Contents(HttpContext c, FakeRepository r, string path, string? gitRef)
    {
        if (r.Refs.Count == 0)
        {
            return Error(404, "This repository is empty.");
        }

        var commit = Resolve(r, gitRef ?? r.DefaultBranch);
        if (commit is null)
        {
            return Error(404, $"No commit found for the ref {gitRef}");
        }

        var files = r.Objects.Tree(r.Objects.Commit(commit)!.Tree)!;
        var refQuery = "?ref=" + Uri.EscapeDataString(gitRef ?? r.DefaultBranch);
        if (files.TryGetValue(path, out var blobSha))
        {
            var bytes = r.Objects.Blob(blobSha)!;
            var large = bytes.Length > LargeFileBytes;
            return Ok(new
            {
                type = "file",
                encoding = large ? "none" : "base64",
                size = bytes.Length,
                name = path.Split('/')[^1],
                path,
                content = large ? string.Empty : Base64Lines(bytes),
                sha = blobSha,
                url = Url(c, $"repos/{r.Owner}/{r.Name}/contents/{path}{refQuery}"),
                git_url = Url(c, $"repos/{r.Owner}/{r.Name}/git/blobs/{blobSha}"),
            });
        }

        var children = files.Keys.Where(p => p.StartsWith(path + "/", StringComparison.Ordinal))
            .Select(p => p[(path.Length + 1)..].Split('/')[0]).Distinct().ToList();
        if (children.Count == 0)
        {
            return NotFound();
        }

        return Ok(children.Select(name => files.TryGetValue($"{path}/{name}", out var sha)
            ? new { type = "file", name, path = $"{path}/{name}", sha, size = r.Objects.Blob(sha)!.Length }
            : new { type = "dir", name, path = $"{path}/{name}", sha = r.Objects.FolderId(files, $"{path}/{name}"), size = 0 }).ToList());
    }

    private IResult CreateTree(HttpContext c, FakeRepository r, JsonElement body)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Str(body, "base_tree") is { } baseTree)
        {
            var existing = r.Objects.Tree(baseTree) ?? (r.Objects.Commit(baseTree) is { } bc ? r.Objects.Tree(bc.Tree) : null);
            if (existing is null)
            {
                return Error(404, "Not Found");
            }

            foreach (var (p, s) in existing)
            {
                files[p] = s;
            }
        }

        if (!body.TryGetProperty("tree", out var entries) || entries.ValueKind != JsonValueKind.Array)
        {
            return Error(422, "Invalid request.\n\n\"tree\" wasn't supplied.");
        }

        foreach (var e in entries.EnumerateArray())
        {
            var path = Str(e, "path");
            if (path is null || path.StartsWith('/') || path.Split('/').Any(p => p is "" or "." or ".." or ".git"))
            {
                return Error(422, $"tree.path contains a malformed path component");
            }

            if (Str(e, "mode") is not ("100644" or "100755" or "040000" or "160000" or "120000") || Str(e, "type") is not ("blob" or "tree" or "commit"))
            {
                return Error(422, "Invalid tree info");
            }

            if (e.TryGetProperty("sha", out var shaElement) && shaElement.ValueKind == JsonValueKind.Null)
            {
                var under = files.Keys.Where(p => p.StartsWith(path + "/", StringComparison.Ordinal)).ToList();
                var removed = files.Remove(path);
                foreach (var p in under)
                {
                    removed |= files.Remove(p);
                }

                if (!removed)
                {
                    return Error(422, "GitRPC::BadObjectState");
                }
            }
            else if (Str(e, "sha") is { } sha)
            {
                if (!r.Objects.IsBlob(sha))
                {
                    return Error(422, $"tree.sha {sha} is not a valid blob");
                }

                files[path] = sha;
            }
            else if (Str(e, "content") is { } content)
            {
                files[path] = r.Objects.PutBlob(System.Text.Encoding.UTF8.GetBytes(content));
            }
            else
            {
                return Error(422, "Must supply tree.sha or tree.content");
            }
        }

        return Ok(TreeJson(c, r, r.Objects.PutTree(files), recursive: false), 201);
    }

    private IResult CreateCommit(HttpContext c, FakeRepository r, JsonElement body)
    {
        var message = Str(body, "message");
        var tree = Str(body, "tree");
        if (message is null || tree is null)
        {
            return Error(422, "Invalid request.\n\n\"message\" and \"tree\" are required.");
        }

        if (r.Objects.Tree(tree) is null)
        {
            return Error(422, "Tree SHA does not exist");
        }

        var parents = body.TryGetProperty("parents", out var ps) && ps.ValueKind == JsonValueKind.Array ? ps.EnumerateArray().Select(p => p.GetString() ?? string.Empty).ToList() : [];
        if (parents.Any(p => r.Objects.Commit(p) is null))
        {
            return Error(422, "Parent SHA does not exist or is not a commit object");
        }

        var name = UserLogin;
        var email = $"{UserLogin}@users.noreply.github.com";
        var date = DateTimeOffset.UtcNow;
        if (body.TryGetProperty("author", out var author) && author.ValueKind == JsonValueKind.Object)
        {
            name = Str(author, "name") ?? name;
            email = Str(author, "email") ?? email;
            if (Str(author, "date") is { } text &&
                !DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:sszzz"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date))
            {
                return Error(422, "Invalid request.\n\nauthor.date is not a valid ISO 8601 timestamp.");
            }
        }

        var commit = r.Objects.PutCommit(tree, parents, message, name, email, date);
        return Ok(GitCommitJson(c, r, commit), 201);
    }

    private object TreeJson(HttpContext c, FakeRepository r, string treeSha, bool recursive)
    {
        var files = r.Objects.Tree(treeSha)!;
        var folders = files.Keys.SelectMany(p =>
        {
            var parts = p.Split('/');
            return Enumerable.Range(1, parts.Length - 1).Select(n => string.Join('/', parts[..n]));
        }).Distinct().ToList();
        var entries = folders.Select(f => (Path: f, Mode: "040000", Type: "tree", Sha: r.Objects.FolderId(files, f), Size: (int?)null))
            .Concat(files.Select(f => (Path: f.Key, Mode: "100644", Type: "blob", Sha: f.Value, Size: (int?)r.Objects.Blob(f.Value)!.Length)))
            .Where(e => recursive || !e.Path.Contains('/', StringComparison.Ordinal))
            .OrderBy(e => e.Path, StringComparer.Ordinal)
            .Select(e => e.Size is { } size
                ? (object)new { path = e.Path, mode = e.Mode, type = e.Type, sha = e.Sha, size, url = Url(c, $"repos/{r.Owner}/{r.Name}/git/{e.Type}s/{e.Sha}") }
                : new { path = e.Path, mode = e.Mode, type = e.Type, sha = e.Sha, url = Url(c, $"repos/{r.Owner}/{r.Name}/git/{e.Type}s/{e.Sha}") }) // GitHub gives no size for a tree
            .ToList();
        return new { sha = treeSha, url = Url(c, $"repos/{r.Owner}/{r.Name}/git/trees/{treeSha}"), tree = entries, truncated = false };
    }

    private object GitCommitJson(HttpContext c, FakeRepository r, FakeCommit commit) => new
    {
        sha = commit.Sha,
        node_id = "C_" + commit.Sha[..8],
        url = Url(c, $"repos/{r.Owner}/{r.Name}/git/commits/{commit.Sha}"),
        author = Signature(commit),
        committer = Signature(commit),
        message = commit.Message,
        tree = new { sha = commit.Tree, url = Url(c, $"repos/{r.Owner}/{r.Name}/git/trees/{commit.Tree}") },
        parents = commit.Parents.Select(p => new { sha = p, url = Url(c, $"repos/{r.Owner}/{r.Name}/git/commits/{p}") }),
        verification = new { verified = false, reason = "unsigned", signature = (string?)null, payload = (string?)null },
    };

    private object RefJson(HttpContext c, FakeRepository r, string name, string sha) => new
    {
        @ref = name,
        node_id = "REF_" + sha[..8],
        url = Url(c, $"repos/{r.Owner}/{r.Name}/git/{name}"),
        @object = new { sha, type = "commit", url = Url(c, $"repos/{r.Owner}/{r.Name}/git/commits/{sha}") },
    };

    private static object Signature(FakeCommit commit) => new
    {
        name = commit.AuthorName,
        email = commit.AuthorEmail,
        date = commit.Date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
    };

    /// <summary>A branch, a full ref, or a commit sha, as GitHub resolves <c>ref</c>/<c>sha</c> parameters.</summary>
    private static string? Resolve(FakeRepository r, string gitRef) =>
        r.Refs.GetValueOrDefault("refs/heads/" + gitRef)
        ?? r.Refs.GetValueOrDefault("refs/tags/" + gitRef)
        ?? r.Refs.GetValueOrDefault(gitRef)
        ?? (r.Objects.Commit(gitRef) is not null ? gitRef : null);

    private static IEnumerable<FakeCommit> History(FakeRepository r, string start)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new PriorityQueue<FakeCommit, (long, int)>();
        var order = 0;
        queue.Enqueue(r.Objects.Commit(start)!, (-r.Objects.Commit(start)!.Date.ToUnixTimeSeconds(), order++));
        while (queue.TryDequeue(out var commit, out _))
        {
            if (!seen.Add(commit.Sha))
            {
                continue;
            }

            yield return commit;
            foreach (var p in commit.Parents.Select(r.Objects.Commit).OfType<FakeCommit>())
            {
                queue.Enqueue(p, (-p.Date.ToUnixTimeSeconds(), order++));
            }
        }
    }

    private static bool Touches(FakeRepository r, FakeCommit commit, string path)
    {
        static Dictionary<string, string> Under(SortedDictionary<string, string> files, string path) =>
            files.Where(f => f.Key == path || f.Key.StartsWith(path + "/", StringComparison.Ordinal)).ToDictionary(f => f.Key, f => f.Value);

        var mine = Under(r.Objects.Tree(commit.Tree)!, path);
        var theirs = commit.Parents.Count == 0 ? [] : Under(r.Objects.Tree(r.Objects.Commit(commit.Parents[0])!.Tree)!, path);
        return mine.Count != theirs.Count || mine.Any(f => !theirs.TryGetValue(f.Key, out var s) || s != f.Value);
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Base64Lines(byte[] bytes) => string.Join('\n', Convert.ToBase64String(bytes).Chunk(60).Select(ch => new string(ch))) + "\n";
}
