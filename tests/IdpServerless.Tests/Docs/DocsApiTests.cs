using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Docs;

/// <summary>The real app with the catalog loaded from a folder (local mode), a signed-in admin, and docs next to the catalog files.</summary>
public sealed class DocsTestApp : IAsyncDisposable
{
    private DocsTestApp(DocsFolder folder, FunctionAppProcess app, HttpClient http)
    {
        Folder = folder;
        App = app;
        Http = http;
    }

    public DocsFolder Folder { get; }

    public FunctionAppProcess App { get; }

    public HttpClient Http { get; }

    public static async Task<DocsTestApp> StartAsync(AzuriteFixture azurite)
    {
        var folder = new DocsFolder();
        folder.Write("catalog/all.yaml", """
            apiVersion: backstage.io/v1alpha1
            kind: Group
            metadata: { name: payments-team }
            spec: { type: team, children: [] }
            ---
            apiVersion: backstage.io/v1alpha1
            kind: User
            metadata: { name: admin }
            spec: { memberOf: [payments-team] }
            ---
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: payments
              annotations: { backstage.io/techdocs-ref: "dir:./payments" }
            spec: { type: service, lifecycle: production, owner: payments-team }
            ---
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata: { name: no-docs }
            spec: { type: service, lifecycle: production, owner: payments-team }
            ---
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: broken-docs
              annotations: { backstage.io/techdocs-ref: "dir:../../etc" }
            spec: { type: service, lifecycle: production, owner: payments-team }
            """);
        folder.WriteSite("catalog/payments");
        folder.Write("catalog/payments/docs/img/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>");
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var settings = new Dictionary<string, string>
        {
            ["IDP_MODE"] = "local",
            ["IDP_DEMO_DIR"] = folder.Root,
            ["IDP_DATA_DIR"] = Path.Combine(folder.Root, "data"),
            ["IDP_BOOTSTRAP_ADMINS"] = "user:default/admin",
            ["Catalog__EntitiesTable"] = "ents" + suffix,
            ["Catalog__LocationsTable"] = "locs" + suffix,
            ["Catalog__ChangesTable"] = "chgs" + suffix,
            ["Catalog__RefreshQueue"] = "catalog-refresh-" + suffix,
            ["Docs__Container"] = "techdocs-" + suffix,
            ["Docs__BuildQueue"] = "docs-build-" + suffix,
            ["Docs__RefreshSchedule"] = "*/2 * * * * *",
            ["Dispatch__RetryDelay"] = "00:00:00.100",
        };
        var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, settings);
        try
        {
            var token = await Eventually.ValueAsync(async () =>
            {
                using var response = await app.Http.PostAsJsonAsync("/api/auth/dev-token", new { user = "user:default/admin" });
                return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>() : null;
            }, TimeSpan.FromSeconds(120), "a dev token once the demo catalog is loaded");
            var http = new HttpClient { BaseAddress = app.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return new DocsTestApp(folder, app, http);
        }
        catch
        {
            await app.DisposeAsync();
            folder.Dispose();
            throw;
        }
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> GetAsync(string url)
    {
        var response = await Http.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true ? JsonNode.Parse(text) : null, response);
    }

    /// <summary>
    /// The site once it answers 200: a first read answers 503 while the background build (the 2 s refresh timer) holds
    /// the site's build lock, as documented, so the first read is retried until the build is there.
    /// </summary>
    public Task<JsonNode> SiteAsync(string url) =>
        Eventually.ValueAsync(async () =>
        {
            var (status, body, response) = await GetAsync(url);
            response.Dispose();
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"GET {url}: {(int)status} {body}");
            return status == HttpStatusCode.OK ? body : null;
        }, TimeSpan.FromSeconds(90), "the built site");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        Folder.Dispose();
    }
}

/// <summary>Holds one docs app for the test class.</summary>
public sealed class SharedDocsApp : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DocsTestApp? _app;

    public async Task<DocsTestApp> GetAsync(AzuriteFixture azurite)
    {
        await _gate.WaitAsync();
        try
        {
            return _app ??= await DocsTestApp.StartAsync(azurite);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _gate.Dispose();
    }
}

[Collection("azurite")]
public sealed class DocsApiTests(AzuriteFixture azurite, SharedDocsApp shared) : IClassFixture<SharedDocsApp>
{
    private const string Site = "/api/docs/component/default/payments";

    [Fact]
    public async Task The_site_lists_the_nav_pages_with_titles_site_name_and_build_time()
    {
        var app = await shared.GetAsync(azurite);

        var body = await app.SiteAsync(Site);

        Assert.Equal("Payments Docs", body["siteName"]!.GetValue<string>());
        Assert.Equal(["index.md", "architecture.md", "ops/runbook.md"], body["pages"]!.AsArray().Select(p => p!["path"]!.GetValue<string>()));
        Assert.Equal(["Overview", "Architecture", "Runbook"], body["pages"]!.AsArray().Select(p => p!["title"]!.GetValue<string>()));
        Assert.True(DateTimeOffset.Parse(body["builtAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(-10));
    }

    [Fact]
    public async Task A_page_has_sanitized_html_with_rewritten_links_and_a_table_of_contents()
    {
        var app = await shared.GetAsync(azurite);
        await app.SiteAsync(Site);

        var (status, body, _) = await app.GetAsync(Site + "/page?path=ops/runbook.md");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Runbook", body!["title"]!.GetValue<string>());
        Assert.Contains("href=\"/catalog/default/component/payments?tab=docs&amp;doc=index.md\"", body["html"]!.GetValue<string>());
        var toc = body["toc"]!.AsArray();
        Assert.Equal(["runbook", "restart"], toc.Select(t => t!["id"]!.GetValue<string>()));
        Assert.Equal([1, 2], toc.Select(t => t!["level"]!.GetValue<int>()));
        Assert.Equal("Restart", toc[1]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Assets_are_served_with_their_content_type_and_svg_is_sandboxed()
    {
        var app = await shared.GetAsync(azurite);
        await app.SiteAsync(Site);

        using var png = await app.Http.GetAsync(Site + "/asset?path=img/arch.png");
        using var svg = await app.Http.GetAsync(Site + "/asset?path=img/logo.svg");

        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        Assert.Equal(0x89, (await png.Content.ReadAsByteArrayAsync())[0]);
        Assert.Equal("nosniff", png.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("sandbox", svg.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_docs_unknown_entities_bad_paths_and_escaping_sources_answer_problem_details()
    {
        var app = await shared.GetAsync(azurite);
        await app.SiteAsync(Site);

        var noDocs = await app.GetAsync("/api/docs/component/default/no-docs");
        var unknown = await app.GetAsync("/api/docs/component/default/does-not-exist");
        var missingPage = await app.GetAsync(Site + "/page?path=nope.md");
        var escaping = await app.GetAsync(Site + "/page?path=../../catalog/all.yaml");
        var noPath = await app.GetAsync(Site + "/page");
        var broken = await app.GetAsync("/api/docs/component/default/broken-docs");
        var noTerm = await app.GetAsync("/api/docs/search?term=");
        using var bare = new HttpClient { BaseAddress = app.App.BaseAddress };
        using var anonymous = await bare.GetAsync(Site);

        Assert.Equal(HttpStatusCode.NotFound, noDocs.Status);
        Assert.Contains("backstage.io/techdocs-ref", noDocs.Body!["detail"]!.GetValue<string>());
        Assert.Equal("https://idpserverless.dev/problems/not-found", noDocs.Body["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal(HttpStatusCode.NotFound, missingPage.Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, escaping.Status);
        Assert.NotNull(escaping.Body!["errors"]!["path"]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noPath.Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, broken.Status);
        Assert.Contains("outside", broken.Body!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noTerm.Status);
        Assert.NotNull(noTerm.Body!["errors"]!["term"]);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task The_refresh_timer_builds_sites_in_the_background_and_search_finds_them_by_prefix()
    {
        var app = await shared.GetAsync(azurite);

        var hits = await Eventually.ValueAsync(async () =>
        {
            var (status, body, _) = await app.GetAsync("/api/docs/search?term=ledg%20restar&kind=component");
            return status == HttpStatusCode.OK && body!.AsArray().Count > 0 ? body.AsArray() : null;
        }, TimeSpan.FromSeconds(60), "search results for the payments runbook");

        var top = hits[0]!;
        Assert.Equal("component:default/payments", top["entityRef"]!.GetValue<string>());
        Assert.Equal("ops/runbook.md", top["path"]!.GetValue<string>());
        Assert.Equal("Runbook", top["title"]!.GetValue<string>());
        Assert.Contains("<mark>", top["snippet"]!.GetValue<string>());
        Assert.True(top["score"]!.GetValue<double>() > 0);
        var (_, other, _) = await app.GetAsync("/api/docs/search?term=ledger&kind=api");
        Assert.Empty(other!.AsArray());
    }

    [Fact]
    public async Task An_on_demand_build_is_queued_and_picks_up_changed_docs()
    {
        var app = await shared.GetAsync(azurite);
        await app.SiteAsync(Site);
        app.Folder.Write("catalog/payments/docs/architecture.md", "# Architecture\n\n## Queues\n\nNow with a zanzibar queue.\n");

        using var response = await app.Http.PostAsync(Site + "/build", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var page = await Eventually.ValueAsync(async () =>
        {
            var (status, body, _) = await app.GetAsync(Site + "/page?path=architecture.md");
            return status == HttpStatusCode.OK && body!["html"]!.GetValue<string>().Contains("zanzibar", StringComparison.Ordinal) ? body : null;
        }, TimeSpan.FromSeconds(60), "the rebuilt architecture page");
        Assert.Equal("queues", page["toc"]!.AsArray()[1]!["id"]!.GetValue<string>());
        // Pages are written before the site index and the search index move, so search catches up a moment later.
        var hits = await Eventually.ValueAsync(async () =>
        {
            var (_, body, _) = await app.GetAsync("/api/docs/search?term=zanzib");
            return body!.AsArray().Count > 0 ? body.AsArray() : null;
        }, TimeSpan.FromSeconds(30), "search results for the new word");
        Assert.Equal("architecture.md", hits.Single()!["path"]!.GetValue<string>());
    }
}
