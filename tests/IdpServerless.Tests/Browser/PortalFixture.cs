using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Playwright;

namespace IdpServerless.Tests.Browser;

/// <summary>
/// The whole portal as a user meets it: a real Azurite, the real function app in local mode with the demo data, the
/// browser app's own static server, and Debian's Chromium driven by Playwright.
/// </summary>
/// <remarks>
/// A derived fixture may start more real dependencies first and hand the app settings for them
/// (<see cref="StartDependenciesAsync"/>), e.g. a Prometheus for judged canaries: the metrics provider is one per process.
/// </remarks>
public class PortalFixture : IAsyncLifetime
{
    private readonly AzuriteFixture _azurite = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "idp-portal-" + Guid.NewGuid().ToString("N"));
    private StaticWebServer? _web;
    private IPlaywright? _playwright;

    public FunctionAppProcess App { get; private set; } = null!;

    public Uri WebBase => _web!.BaseAddress;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots are kept as test artifacts.</summary>
    public static string ScreenshotDir { get; } = Path.Combine(RepoPaths.Root, ".artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        var apiPort = FreePorts.Next();
        _web = await StaticWebServer.StartAsync(new Uri($"http://127.0.0.1:{apiPort}"));
        var origin = _web.BaseAddress.GetLeftPart(UriPartial.Authority);
        var settings = new Dictionary<string, string>
        {
            ["IDP_MODE"] = "local",
            ["IDP_DEMO_DIR"] = Path.Combine(RepoPaths.Root, "demo"),
            ["IDP_DATA_DIR"] = _dataDir,
            ["IDP_BOOTSTRAP_ADMINS"] = "user:default/admin",
            ["IDP_CORS_ORIGINS"] = origin,
        };
        foreach (var (key, value) in await StartDependenciesAsync())
        {
            settings[key] = value;
        }

        App = await FunctionAppProcess.StartAsync(_azurite.ConnectionString, settings, port: apiPort);

        var admin = await TokenAsync("user:default/admin");
        await Eventually.TrueAsync(async () =>
        {
            using var r = await Send(HttpMethod.Get, "/api/catalog/entities/by-name/component/default/payments-service", admin);
            return r.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(60), "the demo catalog to load");
        foreach (var owner in new[] { "user:default/alice", "user:default/carol" })
        {
            using var r = await Send(HttpMethod.Post, "/api/rbac/bindings", admin, new { subject = owner, role = "application-owner" });
            r.EnsureSuccessStatusCode();
        }

        Directory.CreateDirectory(ScreenshotDir);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    /// <summary>Starts what a derived fixture needs besides the portal and answers the app settings that point at it (none here).</summary>
    protected virtual Task<IReadOnlyDictionary<string, string>> StartDependenciesAsync() =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());

    /// <summary>Stops what <see cref="StartDependenciesAsync"/> started, after the app has stopped.</summary>
    protected virtual Task StopDependenciesAsync() => Task.CompletedTask;

    /// <summary>
    /// Registers catalog entities of a test's own the way a user can: the YAML is written under the app's data folder
    /// (<c>IDP_DATA_DIR/catalog</c>, a folder file locations may read) and registered as a <c>file</c> location. Waits
    /// until <paramref name="entityPath"/> (e.g. <c>component/default/x</c>) answers, so the demo catalog stays as it is.
    /// </summary>
    public async Task RegisterCatalogFileAsync(string fileName, string yaml, string entityPath)
    {
        var folder = Path.Combine(_dataDir, "catalog");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, fileName);
        await File.WriteAllTextAsync(file, yaml);
        var admin = await TokenAsync("user:default/admin");
        using (var r = await Send(HttpMethod.Post, "/api/catalog/locations", admin, new { type = "file", target = file }))
        {
            Assert.True(r.IsSuccessStatusCode, $"registering {file}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }

        await Eventually.TrueAsync(async () =>
        {
            using var r = await Send(HttpMethod.Get, $"/api/catalog/entities/by-name/{entityPath}", admin);
            return r.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(30), $"{entityPath} to be in the catalog");
    }

    /// <summary>A dev-issuer token for a demo user (for API calls a test makes beside the browser).</summary>
    public async Task<string> TokenAsync(string user)
    {
        using var r = await App.Http.PostAsJsonAsync("/api/auth/dev-token", new { user });
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    public Task<HttpResponseMessage> Send(HttpMethod method, string path, string token, object? body = null)
    {
        var m = new HttpRequestMessage(method, path);
        m.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            m.Content = JsonContent.Create(body);
        }

        return App.Http.SendAsync(m);
    }

    /// <summary>Starts a deployment through the API (202) and answers its id.</summary>
    public async Task<string> StartDeploymentAsync(string token, string component, string environment, string version)
    {
        using var r = await Send(HttpMethod.Post, "/api/deployments", token, new { component, environment, version });
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Accepted, $"deploying {component} {version} to {environment}: {(int)r.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>GET of an API path that must answer 200, as JSON.</summary>
    public async Task<JsonElement> GetJsonAsync(string token, string path)
    {
        using var r = await Send(HttpMethod.Get, path, token);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)r.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>
    /// Polls the deployment until <paramref name="done"/> holds for it; a release that ended otherwise is named with
    /// its status and message in the timeout.
    /// </summary>
    public async Task<JsonElement> WaitForDeploymentAsync(string token, string id, Func<JsonElement, bool> done, string what) =>
        (JsonElement)(await Eventually.ValueAsync(async () =>
        {
            var d = await GetJsonAsync(token, $"/api/deployments/{id}");
            if (done(d))
            {
                return (object)d;
            }

            Assert.False(d.GetProperty("status").GetString() is "Failed" or "RolledBack" or "Aborted" or "Succeeded",
                $"{id} ended {d.GetProperty("status")}: {d.GetProperty("message")}");
            return null;
        }, TimeSpan.FromSeconds(120), what, TimeSpan.FromMilliseconds(250)))!;

    /// <summary>A fresh browser context signed in as <paramref name="user"/> through the sign-in page, with console errors collected.</summary>
    public async Task<(IBrowserContext Context, IPage Page, List<string> ConsoleErrors)> SignInAsync(string user)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, msg) =>
        {
            // Chromium reports every 4xx/5xx response as a console error; the app's own errors are what matter.
            if (msg.Type == "error" && !msg.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                errors.Add(msg.Text);
            }
        };
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(new Uri(WebBase, "/login").ToString());
        await page.GetByTestId($"user-option-{user}").ClickAsync();
        await page.GetByTestId("current-user").WaitForAsync();
        return (context, page, errors);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        await StopDependenciesAsync();

        if (_web is not null)
        {
            await _web.DisposeAsync();
        }

        await _azurite.DisposeAsync();
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}

[CollectionDefinition("portal")]
public sealed class PortalCollection : ICollectionFixture<PortalFixture>;
