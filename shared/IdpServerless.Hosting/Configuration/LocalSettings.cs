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
    /// <summary>Started by the Azure Functions host; triggers arrive over HTTP.</summary>
    CustomHandler,

    /// <summary>Listens on its own port and dispatches queues and timers itself (local development, tests).</summary>
    Standalone,
}

/// <summary>Reads the hosting mode and the URL to listen on.</summary>
public static class HostingModeDetector
{
    /// <summary>The host's variable carrying our port.</summary>
    public const string CustomHandlerPortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    public static HostingMode Detect(IConfiguration configuration) =>
        string.IsNullOrEmpty(configuration[CustomHandlerPortVariable]) ? HostingMode.Standalone : HostingMode.CustomHandler;

    /// <summary>The URL Kestrel binds: loopback on the host's port, or ASPNETCORE_URLS / the local port.</summary>
    public static string ListenUrl(IConfiguration configuration)
    {
        if (Detect(configuration) == HostingMode.CustomHandler)
        {
            var port = configuration[CustomHandlerPortVariable]!;
            if (!int.TryParse(port, out var p) || p is <= 0 or > 65535)
            {
                throw new InvalidOperationException($"{CustomHandlerPortVariable}='{port}' is not a port number.");
            }

            return $"http://127.0.0.1:{p}";
        }

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
