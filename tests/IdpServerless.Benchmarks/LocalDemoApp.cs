using System.Diagnostics;

namespace IdpServerless.Benchmarks;

/// <summary>
/// The function app (Release build) as a process in local mode with the demo catalog and its own data folder, as the
/// README's run command starts it: the dev issuer on, <c>user:default/admin</c> a platform-admin, rate limits off so one
/// load generator is not throttled. Output is drained and dropped.
/// </summary>
public static class LocalDemoApp
{
    public static Process Start(string dll, string storage, int port, string dataDir, IReadOnlyDictionary<string, string>? extra = null)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        psi.Environment["AzureWebJobsStorage"] = storage;
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["IDP_LOCAL_SETTINGS"] = "/nonexistent/local.settings.json";
        psi.Environment["IDP_MODE"] = "local";
        psi.Environment["IDP_DEMO_DIR"] = Path.Combine(ColdStartBenchmark.RepoRoot(), "demo");
        psi.Environment["IDP_DATA_DIR"] = dataDir;
        psi.Environment["IDP_BOOTSTRAP_ADMINS"] = "user:default/admin";
        psi.Environment["IDP_RATE_LIMIT_PER_IDENTITY"] = "0";
        psi.Environment["IDP_RATE_LIMIT_PER_ADDRESS"] = "0";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
