using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace IdpServerless.Hosting.Configuration;

/// <summary>
/// Reads <c>local.settings.json</c> the way Core Tools does (its <c>Values</c> become settings, <c>Host</c> gives the
/// local port and CORS), so <c>func start</c> and the standalone host share one configuration file.
/// Environment variables added after it win.
/// </summary>
public static class LocalSettings
{
    /// <summary>The setting naming another file than <c>local.settings.json</c> in the content root.</summary>
    public const string PathVariable = "IDP_LOCAL_SETTINGS";

    /// <summary>Adds the file's values (when the file exists) to <paramref name="configuration"/>.</summary>
    public static IConfigurationBuilder AddLocalSettings(this IConfigurationBuilder configuration, string contentRoot)
    {
        var path = Environment.GetEnvironmentVariable(PathVariable);
        path = string.IsNullOrEmpty(path) ? Path.Combine(contentRoot, "local.settings.json") : Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            return configuration;
        }

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.TryGetProperty("Values", out var v) && v.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in v.EnumerateObject())
                {
                    // Core Tools' double-underscore convention maps to configuration sections.
                    values[p.Name.Replace("__", ":", StringComparison.Ordinal)] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText();
                }
            }

            if (doc.RootElement.TryGetProperty("Host", out var h) && h.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in h.EnumerateObject())
                {
                    values["Host:" + p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText();
                }
            }
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{path} is not valid JSON: {e.Message}", e);
        }

        configuration.AddInMemoryCollection(values);
        return configuration;
    }
}

/// <summary>Which of the two hosting modes the app runs in.</summary>
public enum HostingMode
{
    /// <summary>
    /// An isolated worker started by the Azure Functions host: HTTP, queue, timer, orchestration and activity
    /// triggers come from the host; the app's Kestrel serves only the host's forwarded HTTP requests.
    /// </summary>
    FunctionsWorker,

    /// <summary>Listens on its own port and runs queues, timers and orchestrations itself (local development, tests, a container).</summary>
    Standalone,
}

/// <summary>Reads the hosting mode and the URL to listen on.</summary>
public static class HostingModeDetector
{
    /// <summary>
    /// The command-line options the Functions host starts a worker with (<c>--functions-worker-id</c>, or
    /// <c>--workerId</c> from older hosts); the host itself and a standalone process have neither.
    /// </summary>
    public static readonly IReadOnlyList<string> WorkerIdOptions = ["functions-worker-id", "workerId"];

    /// <summary>The mode, from the command-line options in <paramref name="configuration"/>.</summary>
    public static HostingMode Detect(IConfiguration configuration) =>
        WorkerIdOptions.Any(o => !string.IsNullOrEmpty(configuration[o])) ? HostingMode.FunctionsWorker : HostingMode.Standalone;

    /// <summary>The mode, from the process's arguments (before any configuration is built).</summary>
    public static HostingMode Detect(IReadOnlyList<string> args) =>
        args.Any(a => WorkerIdOptions.Any(o => string.Equals(a.TrimStart('-').Split('=')[0], o, StringComparison.OrdinalIgnoreCase)))
            ? HostingMode.FunctionsWorker
            : HostingMode.Standalone;

    /// <summary>The URL Kestrel binds standalone: ASPNETCORE_URLS, or loopback on the local port (7071).</summary>
    public static string ListenUrl(IConfiguration configuration)
    {
        var urls = configuration["ASPNETCORE_URLS"] ?? configuration["urls"];
        if (!string.IsNullOrEmpty(urls))
        {
            return urls;
        }

        var local = configuration["Host:LocalHttpPort"];
        return $"http://127.0.0.1:{(int.TryParse(local, out var lp) ? lp : 7071)}";
    }

    /// <summary>True when the app runs on a developer's machine (enables the local dev issuer and demo conveniences).</summary>
    public static bool IsLocal(IConfiguration configuration) =>
        string.Equals(configuration["IDP_MODE"], "local", StringComparison.OrdinalIgnoreCase);
}
