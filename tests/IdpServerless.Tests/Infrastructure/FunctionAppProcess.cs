using System.Diagnostics;
using System.Text;

namespace IdpServerless.Tests.Infrastructure;

/// <summary>
/// The real function app as its own process (standalone mode by default, or custom-handler mode), on a free port,
/// against the given storage. Tests start as many as they need, and can SIGKILL one to prove crash safety.
/// </summary>
public sealed class FunctionAppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private FunctionAppProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the app wrote to stdout and stderr so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The platform-admin every test app signs in as (through the local dev issuer) unless <c>IDP_MODE</c> is given.</summary>
    public const string TestAdmin = "user:default/test-admin";

    /// <summary>The bearer token <see cref="Http"/> sends (a platform-admin's), or null when the app is not in local mode.</summary>
    public string? AdminToken { get; private set; }

    /// <summary>A client of this app that sends no credentials (for 401 checks).</summary>
    public HttpClient CreateAnonymousClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// Starts the app and waits until <c>/api/health</c> answers 200. Every HTTP function requires a permission, so unless
    /// the settings name an <c>IDP_MODE</c>, the app runs in local mode with <see cref="TestAdmin"/> as a bootstrap admin
    /// and <see cref="Http"/> is signed in as that admin.
    /// </summary>
    /// <param name="connectionString">AzureWebJobsStorage.</param>
    /// <param name="settings">Extra environment (e.g. <c>Dispatch__VisibilityTimeout</c>).</param>
    /// <param name="port">Listen on this port instead of a fresh free one (when another process must know it first).</param>
    /// <param name="signIn">False: do not sign in (the caller sets a token, e.g. while the app cannot issue one yet).</param>
    public static async Task<FunctionAppProcess> StartAsync(string connectionString, IDictionary<string, string>? settings = null, int? port = null, bool signIn = true)
    {
        var listenPort = port ?? FreePorts.Next();
        var psi = new ProcessStartInfo("dotnet", $"\"{RepoPaths.FunctionsDll}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(RepoPaths.FunctionsDll)!,
        };
        psi.Environment["AzureWebJobsStorage"] = connectionString;
        psi.Environment["IDP_LOCAL_SETTINGS"] = Path.Combine(Path.GetTempPath(), "idp-no-local-settings.json");
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Dispatch__MaxPollingInterval"] = "00:00:00.500";
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{listenPort}";

        settings ??= new Dictionary<string, string>();
        if (!settings.ContainsKey("IDP_MODE"))
        {
            psi.Environment["IDP_MODE"] = "local";
        }

        psi.Environment["IDP_BOOTSTRAP_ADMINS"] = TestAdmin;
        foreach (var (k, v) in settings)
        {
            psi.Environment[k] = k == "IDP_BOOTSTRAP_ADMINS" ? v + "," + TestAdmin : v;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the function app");
        var app = new FunctionAppProcess(process, listenPort);
        process.OutputDataReceived += (_, e) => app.Append(e.Data);
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The function app exited with {process.ExitCode}:\n{app.Output}");
                }

                using var r = await app.Http.GetAsync("/api/health");
                return r.IsSuccessStatusCode;
            }, TimeSpan.FromSeconds(60), "the function app's /api/health");
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        if (signIn && string.Equals(psi.Environment["IDP_MODE"], "local", StringComparison.OrdinalIgnoreCase))
        {
            using var token = await app.Http.PostAsync("/api/auth/dev-token", new StringContent($"{{\"user\":\"{TestAdmin}\"}}", Encoding.UTF8, "application/json"));
            var body = await token.Content.ReadAsStringAsync();
            if (!token.IsSuccessStatusCode)
            {
                await app.DisposeAsync();
                throw new InvalidOperationException($"Signing in as {TestAdmin} failed: {(int)token.StatusCode} {body}");
            }

            app.AdminToken = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString();
            app.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", app.AdminToken);
        }

        return app;
    }

    /// <summary>SIGKILL: no shutdown hooks, no chance to settle messages.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (InvalidOperationException)
            {
            }
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 32_000_000)
            {
                _output.AppendLine(line);
            }
        }
    }
}
