using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace IdpServerless.Tests.Git.Fakes;

// Repositories: GET /user, POST /orgs/{org}/repos, POST /user/repos, GET /repos/{owner}/{repo},
// GET /orgs/{org}/repos, GET /users/{username}/repos, GET /user/repos.
public sealed partial class FakeGitHub
{
    private void MapRepositories(WebApplication app)
    {
        app.MapGet("/user", () => Ok(new { login = UserLogin, id = 1, type = "User" }));

        app.MapPost("/orgs/{org}/repos", (HttpContext context, string org, JsonElement body) =>
            Organizations.Contains(org) ? CreateRepository(context, org, body) : NotFound());

        app.MapPost("/user/repos", (HttpContext context, JsonElement body) => CreateRepository(context, UserLogin, body));

        app.MapGet("/repos/{owner}/{repo}", (HttpContext context, string owner, string repo) =>
        {
            lock (_gate)
            {
                return _repos.TryGetValue($"{owner}/{repo}", out var r) ? Ok(RepoJson(context, r)) : NotFound();
            }
        });

        app.MapGet("/orgs/{org}/repos", (HttpContext context, string org) =>
            Organizations.Contains(org) ? ListRepositories(context, org) : NotFound());

        app.MapGet("/users/{user}/repos", (HttpContext context, string user) =>
            Organizations.Contains(user) || string.Equals(user, UserLogin, StringComparison.OrdinalIgnoreCase) ? ListRepositories(context, user) : NotFound());

        app.MapGet("/user/repos", (HttpContext context) => ListRepositories(context, null));
    }

    private IResult CreateRepository(HttpContext context, string owner, JsonElement body)
    {
        if (!body.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(nameElement.GetString()))
        {
            return Error(422, "Repository creation failed.", new[] { new { resource = "Repository", code = "missing_field", field = "name" } });
        }

        var name = nameElement.GetString()!;
        var description = body.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        var autoInit = body.TryGetProperty("auto_init", out var a) && a.ValueKind == JsonValueKind.True;
        lock (_gate)
        {
            if (_repos.ContainsKey($"{owner}/{name}"))
            {
                return Error(422, "Repository creation failed.", new[] { new { resource = "Repository", code = "custom", field = "name", message = "name already exists on this account" } });
            }

            var repo = new FakeRepository(owner, name, description);
            if (autoInit)
            {
                var readme = Encoding.UTF8.GetBytes($"# {name}\n" + (description is null ? string.Empty : $"{description}\n"));
                var tree = repo.Objects.PutTree(new Dictionary<string, string> { ["README.md"] = repo.Objects.PutBlob(readme) });
                var commit = repo.Objects.PutCommit(tree, [], "Initial commit", UserLogin, $"{UserLogin}@users.noreply.github.com", DateTimeOffset.UtcNow);
                repo.Refs["refs/heads/main"] = commit.Sha;
            }

            _repos[$"{owner}/{name}"] = repo;
            return Ok(RepoJson(context, repo), 201);
        }
    }

    private IResult ListRepositories(HttpContext context, string? owner)
    {
        lock (_gate)
        {
            var repos = _repos.Values
                .Where(r => owner is null || string.Equals(r.Owner, owner, StringComparison.OrdinalIgnoreCase))
                .OrderBy(r => r.Owner, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)
                .ToList();
            return Page(context, repos, r => RepoJson(context, r));
        }
    }

    private object RepoJson(HttpContext context, FakeRepository r)
    {
        var web = $"{context.Request.Scheme}://{context.Request.Host}";
        return new
        {
            id = r.Id,
            node_id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"R_{r.Id}")),
            name = r.Name,
            full_name = $"{r.Owner}/{r.Name}",
            owner = new { login = r.Owner, id = 1, type = Organizations.Contains(r.Owner) ? "Organization" : "User" },
            @private = true,
            html_url = $"{web}/{r.Owner}/{r.Name}",
            description = r.Description,
            fork = false,
            url = Url(context, $"repos/{r.Owner}/{r.Name}"),
            clone_url = $"{web}/{r.Owner}/{r.Name}.git",
            default_branch = r.DefaultBranch,
            visibility = "private",
        };
    }
}
