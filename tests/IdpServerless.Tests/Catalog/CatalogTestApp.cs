using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Catalog;

/// <summary>
/// A catalog under test: a temporary folder of catalog files the app may read, and the real app process with its own
/// tables and refresh queue (so apps of different tests never see each other's data).
/// </summary>
public sealed class CatalogTestApp : IAsyncDisposable
{
    private CatalogTestApp(string folder, string suffix)
    {
        Folder = folder;
        Suffix = suffix;
    }

    public string Folder { get; }

    public string Suffix { get; }

    public List<FunctionAppProcess> Instances { get; } = [];

    public FunctionAppProcess App => Instances[0];

    public HttpClient Http => App.Http;

    public string RefreshQueue => "catalog-refresh-" + Suffix;

    /// <summary>The user the tests act as: a platform-admin by bootstrap.</summary>
    public const string Admin = "user:default/catalog-admin";

    /// <summary>Settings that point an app at this catalog's folder, tables and queue.</summary>
    public Dictionary<string, string> Settings(IDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Catalog__FileRoots__0"] = Folder,
            ["Catalog__EntitiesTable"] = "ents" + Suffix,
            ["Catalog__LocationsTable"] = "locs" + Suffix,
            ["Catalog__ChangesTable"] = "chgs" + Suffix,
            ["Catalog__RefreshQueue"] = RefreshQueue,
            ["Catalog__ChangeFeedInterval"] = "00:00:00.250",
            ["Dispatch__RetryDelay"] = "00:00:00.100",

            // Identity is on: the tests sign in as a bootstrap admin through the local dev issuer, whose key lives in
            // the shared data folder so every instance accepts every token; rate limits would throttle the tests.
            ["IDP_MODE"] = "local",
            ["IDP_DATA_DIR"] = Path.Combine(Folder, "data"),
            ["IDP_BOOTSTRAP_ADMINS"] = Admin,
            ["IDP_RATE_LIMIT_PER_IDENTITY"] = "0",
            ["IDP_RATE_LIMIT_PER_ADDRESS"] = "0",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            settings[k] = v;
        }

        return settings;
    }

    public static async Task<CatalogTestApp> StartAsync(AzuriteFixture azurite, IDictionary<string, string>? settings = null, int instances = 1)
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var folder = Path.Combine(Path.GetTempPath(), "idp-catalog-" + suffix);
        Directory.CreateDirectory(folder);
        var app = new CatalogTestApp(folder, suffix);
        try
        {
            for (var i = 0; i < instances; i++)
            {
                var instance = await FunctionAppProcess.StartAsync(azurite.ConnectionString, app.Settings(settings));
                app.Instances.Add(instance);
                using var issued = await instance.Http.PostAsJsonAsync("/api/auth/dev-token", new { user = Admin });
                var token = JsonNode.Parse(await issued.Content.ReadAsStringAsync())?["access_token"]?.GetValue<string>()
                    ?? throw new InvalidOperationException($"no dev token: {(int)issued.StatusCode}");
                instance.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    /// <summary>Starts one more instance over the same tables, with <paramref name="extra"/> on top of the app's settings, signed in as the admin.</summary>
    /// <param name="token">Use this bearer token (issued by another instance: they share the dev issuer's key) instead of signing in.</param>
    public async Task<FunctionAppProcess> AddInstanceAsync(AzuriteFixture azurite, IDictionary<string, string>? extra = null, string? token = null)
    {
        var instance = await FunctionAppProcess.StartAsync(azurite.ConnectionString, Settings(extra), signIn: token is null);
        Instances.Add(instance);
        if (token is not null)
        {
            instance.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return instance;
        }

        using var issued = await instance.Http.PostAsJsonAsync("/api/auth/dev-token", new { user = Admin });
        var issuedToken = JsonNode.Parse(await issued.Content.ReadAsStringAsync())?["access_token"]?.GetValue<string>()
            ?? throw new InvalidOperationException($"no dev token: {(int)issued.StatusCode}");
        instance.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", issuedToken);
        return instance;
    }

    /// <summary>Writes a file under the folder and returns its absolute path.</summary>
    public string Write(string relative, string content)
    {
        var path = Path.Combine(Folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public async Task<HttpResponseMessage> RegisterAsync(string path, bool dryRun = false, HttpClient? http = null, string type = "file") =>
        await (http ?? Http).PostAsJsonAsync("/api/catalog/locations" + (dryRun ? "?dryRun=true" : string.Empty), new { type, target = path });

    public async Task<JsonObject> RegisterOkAsync(string path)
    {
        using var response = await RegisterAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"register {path}: {(int)response.StatusCode} {body}\n{App.Output[^Math.Min(App.Output.Length, 4000)..]}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public async Task<JsonObject?> EntityAsync(string kind, string name, string ns = "default", HttpClient? http = null)
    {
        using var response = await (http ?? Http).GetAsync($"/api/catalog/entities/by-name/{kind}/{ns}/{name}");
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject() : null;
    }

    public async Task<JsonObject> GetJsonAsync(string url, HttpClient? http = null)
    {
        using var response = await (http ?? Http).GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public static List<string> Relations(JsonObject entity, string type) =>
        entity["relations"]!.AsArray().Where(r => r!["type"]!.GetValue<string>() == type).Select(r => r!["targetRef"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in Instances)
        {
            await instance.DisposeAsync();
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Holds one catalog app for a whole test class (started by the first test that asks).</summary>
public sealed class SharedCatalogApp : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CatalogTestApp? _app;

    public async Task<CatalogTestApp> GetAsync(AzuriteFixture azurite, Func<CatalogTestApp, Task>? seed = null)
    {
        await _gate.WaitAsync();
        try
        {
            if (_app is null)
            {
                var app = await CatalogTestApp.StartAsync(azurite);
                if (seed is not null)
                {
                    await seed(app);
                }

                _app = app;
            }

            return _app;
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
