using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Git.Fakes;

/// <summary>One request the fake received.</summary>
/// <param name="Base">The path base the request came in under (<c>/api/v3</c> when the client used the Enterprise base).</param>
public sealed record FakeRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, DateTimeOffset At, string Base = "");

/// <summary>
/// A contract-faithful stand-in for the parts of GitHub REST v3 (2022-11-28) the git provider uses, served by Kestrel
/// on a loopback port under a GitHub Enterprise style <c>/api/v3</c> base. Shapes, status codes and messages follow
/// GitHub's documentation: 401 "Bad credentials", 403 without a User-Agent, 404 "Not Found" / "No commit found for the
/// ref", 409 for an empty repository, 422 for "Update is not a fast forward", "Reference already exists",
/// "name already exists on this account" and deleting a missing path; pagination through <c>Link</c>; and injectable
/// faults (secondary rate limit 403 with Retry-After, 429 with Retry-After, the primary limit, 5xx, a stalled request)
/// to exercise retries and timeouts. REST answers only under <c>/api/v3</c>. With a <see cref="FakeGitHubApp"/> it
/// acts as GitHub does for Apps (FakeGitHub.Apps.cs).
/// </summary>
public sealed partial class FakeGitHub : IAsyncDisposable
{
    public const string ApiVersion = "2022-11-28";
    public const string BasePath = "/api/v3";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly object _gate = new();
    private readonly Dictionary<string, FakeRepository> _repos = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private WebApplication? _app;

    private FakeGitHub(string token, string userLogin, IEnumerable<string> orgs, FakeGitHubApp? app)
    {
        Token = token;
        UserLogin = userLogin;
        Organizations = new HashSet<string>(orgs, StringComparer.OrdinalIgnoreCase);
        App = app;
    }

    /// <summary>When set, the fake serves a GitHub App: App endpoints take its RS256 JWT, the rest installation tokens only.</summary>
    public FakeGitHubApp? App { get; }

    /// <summary>The fake's clock: JWT and installation-token lifetimes are judged by it (a test moves it instead of sleeping).</summary>
    public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.UtcNow;

    public string Token { get; }

    public string UserLogin { get; }

    public IReadOnlySet<string> Organizations { get; }

    /// <summary>The API base URL to configure the provider with (<c>http://127.0.0.1:{port}/api/v3</c>).</summary>
    public string ApiUrl { get; private set; } = string.Empty;

    /// <summary>When set, pagination links point at this host instead (a misbehaving proxy, or a forged answer).</summary>
    public string? LinkHost { get; set; }

    /// <summary>Every request received, in order.</summary>
    public IReadOnlyList<FakeRequest> Requests => _requests.ToArray();

    /// <summary>Runs (under the fake's lock) just before a <c>PATCH .../git/refs/heads/{branch}</c> is decided: lets a test move the branch "concurrently".</summary>
    public Action<FakeGitHub, string, string, string>? BeforeRefUpdate { get; set; }

    public static Task<FakeGitHub> StartAsync(string token = "ghp_fake_token_0123456789", string userLogin = "octo-user", params string[] orgs) =>
        StartAsync(null, token, userLogin, orgs);

    /// <summary>A fake GitHub whose only credentials are <paramref name="app"/>'s (no personal token is accepted).</summary>
    public static Task<FakeGitHub> StartAppAsync(FakeGitHubApp app, string userLogin = "octo-user", params string[] orgs) =>
        StartAsync(app, "ghp_not_accepted_with_an_app", userLogin, orgs);

    private static async Task<FakeGitHub> StartAsync(FakeGitHubApp? gitHubApp, string token, string userLogin, string[] orgs)
    {
        var fake = new FakeGitHub(token, userLogin, orgs.Length == 0 ? ["idp-org"] : orgs, gitHubApp);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.UsePathBase(BasePath);
        app.Use(fake.GuardAsync);
        fake.MapRepositories(app);
        fake.MapGitData(app);
        fake.MapApps(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.ApiUrl = address.TrimEnd('/') + BasePath;
        fake._app = app;
        return fake;
    }

    /// <summary>The next <paramref name="count"/> requests answer a secondary rate limit: 403 with Retry-After.</summary>
    public void InjectSecondaryRateLimit(int count = 1, int retryAfterSeconds = 1)
    {
        for (var i = 0; i < count; i++)
        {
            _faults.Enqueue(new Fault(403, retryAfterSeconds, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."));
        }
    }

    /// <summary>The next <paramref name="count"/> requests answer <paramref name="status"/> (e.g. 502) with no Retry-After.</summary>
    public void InjectServerError(int count = 1, int status = 502)
    {
        for (var i = 0; i < count; i++)
        {
            _faults.Enqueue(new Fault(status, null, "Server Error"));
        }
    }

    /// <summary>The next request answers 429 with <c>Retry-After</c> (GitHub's documented answer to too many requests).</summary>
    public void InjectTooManyRequests(int retryAfterSeconds, int count = 1)
    {
        for (var i = 0; i < count; i++)
        {
            _faults.Enqueue(new Fault(429, retryAfterSeconds, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."));
        }
    }

    /// <summary>The next request answers the primary rate limit: 403, <c>x-ratelimit-remaining: 0</c>, reset in <paramref name="resetIn"/>.</summary>
    public void InjectPrimaryRateLimit(TimeSpan resetIn) =>
        _faults.Enqueue(new Fault(403, null, "API rate limit exceeded for installation ID 1. If you reach out to GitHub Support for help, please include the request ID.", ResetIn: resetIn));

    /// <summary>The next request gets no answer until the fake stops (or the client gives up).</summary>
    public void InjectStall() => _faults.Enqueue(new Fault(0, null, string.Empty));

    /// <summary>The next request answers 403 "Resource not accessible by integration" (a permission problem, not a rate limit).</summary>
    public void InjectForbidden() => _faults.Enqueue(new Fault(403, null, "Resource not accessible by integration"));

    /// <summary>Moves a branch directly, as another GitHub client would (used from <see cref="BeforeRefUpdate"/>, under the lock).</summary>
    public string CommitDirectly(string owner, string name, string branch, string path, byte[] content, string message)
    {
        var repo = _repos[$"{owner}/{name}"];
        var head = repo.Refs[$"refs/heads/{branch}"];
        var files = new Dictionary<string, string>(repo.Objects.Tree(repo.Objects.Commit(head)!.Tree)!) { [path] = repo.Objects.PutBlob(content) };
        var commit = repo.Objects.PutCommit(repo.Objects.PutTree(files), [head], message, "someone-else", "else@example.com", DateTimeOffset.UtcNow);
        repo.Refs[$"refs/heads/{branch}"] = commit.Sha;
        return commit.Sha;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests.Enqueue(new FakeRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, DateTimeOffset.UtcNow, context.Request.PathBase));
        context.Response.Headers["x-ratelimit-limit"] = "5000";
        context.Response.Headers["x-ratelimit-remaining"] = "4999";
        context.Response.Headers["x-ratelimit-reset"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["x-github-api-version-selected"] = ApiVersion;

        if (context.Request.PathBase != BasePath)
        {
            // GitHub Enterprise serves REST under /api/v3 only; the host's root is the web UI.
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync("<html><body>Not Found</body></html>");
            return;
        }

        if (string.IsNullOrEmpty(context.Request.Headers.UserAgent))
        {
            await Error(403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).").ExecuteAsync(context);
            return;
        }

        var refusal = App is not null ? AppAuthorizes(context)
            : context.Request.Headers.Authorization.ToString() != $"Bearer {Token}" ? Error(401, "Bad credentials") : null;
        if (refusal is not null)
        {
            await refusal.ExecuteAsync(context);
            return;
        }

        var version = context.Request.Headers["X-GitHub-Api-Version"].ToString();
        if (version.Length > 0 && version != ApiVersion)
        {
            await Error(400, $"API version '{version}' is not supported.").ExecuteAsync(context);
            return;
        }

        if (_faults.TryDequeue(out var fault))
        {
            if (fault.Status == 0)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            if (fault.ResetIn is { } resetIn)
            {
                context.Response.Headers["x-ratelimit-remaining"] = "0";
                context.Response.Headers["x-ratelimit-reset"] = (Clock() + resetIn).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (fault.RetryAfter is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            await (fault.Status >= 500 ? Results.StatusCode(fault.Status) : Error(fault.Status, fault.Message)).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private static IResult Ok(object body, int status = 200) => Results.Json(body, Json, "application/json; charset=utf-8", status);

    private static IResult Error(int status, string message, object? errors = null) =>
        Results.Json(
            errors is null
                ? new { message, documentation_url = "https://docs.github.com/rest", status = status.ToString(System.Globalization.CultureInfo.InvariantCulture) }
                : new { message, errors, documentation_url = "https://docs.github.com/rest", status = status.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Json, "application/json; charset=utf-8", status);

    private static IResult NotFound() => Error(404, "Not Found");

    private string Url(HttpContext context, string path) => $"{context.Request.Scheme}://{context.Request.Host}{BasePath}/{path}";

    /// <summary>A page of <paramref name="all"/> per <c>per_page</c> (default 30, at most 100) and <c>page</c>, with a Link header.</summary>
    private IResult Page<T>(HttpContext context, IReadOnlyList<T> all, Func<T, object> shape) => Ok(PageOf(context, all, shape));

    /// <summary>The items of this page; sets <c>Link: &lt;...&amp;page=n+1&gt;; rel="next"</c> when more follow.</summary>
    private List<object> PageOf<T>(HttpContext context, IReadOnlyList<T> all, Func<T, object> shape)
    {
        var perPage = Math.Clamp(int.TryParse(context.Request.Query["per_page"], out var pp) ? pp : 30, 1, 100);
        var page = Math.Max(1, int.TryParse(context.Request.Query["page"], out var p) ? p : 1);
        var items = all.Skip((page - 1) * perPage).Take(perPage).Select(shape).ToList();
        if (page * perPage < all.Count)
        {
            var query = context.Request.Query.Where(q => q.Key != "page").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}").Append($"page={page + 1}");
            var host = LinkHost ?? context.Request.Host.ToString();
            var next = $"{context.Request.Scheme}://{host}{context.Request.PathBase}{context.Request.Path}?{string.Join('&', query)}";
            context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        }

        return items;
    }

    /// <summary>An injected answer; status 0 stalls the request.</summary>
    private sealed record Fault(int Status, int? RetryAfter, string Message, TimeSpan? ResetIn = null);

    private sealed class FakeRepository(string owner, string name, string? description)
    {
        public string Owner { get; } = owner;

        public string Name { get; } = name;

        public string? Description { get; } = description;

        public string DefaultBranch { get; } = "main";

        public long Id { get; } = Random.Shared.NextInt64(1, int.MaxValue);

        public Dictionary<string, string> Refs { get; } = new(StringComparer.Ordinal);

        public FakeGitObjects Objects { get; } = new();
    }
}
