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
        Http = new HttpClient(new SignInHandler(this) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
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

    private readonly SemaphoreSlim _signInLock = new(1, 1);
    private bool _signIn;

    /// <summary>The bearer token <see cref="Http"/> sends (a platform-admin's) once it has called a protected function; null when the app is not in local mode.</summary>
    public string? AdminToken { get; private set; }

    /// <summary>A client of this app that sends no credentials (for 401 checks).</summary>
    public HttpClient CreateAnonymousClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// Starts the app and waits until <c>/api/health</c> answers 200. Every HTTP function requires a permission, so unless
    /// the settings name an <c>IDP_MODE</c>, the app runs in local mode with <see cref="TestAdmin"/> as a bootstrap admin
    /// and <see cref="Http"/> signs in as that admin (through the dev issuer) before its first call outside
    /// <c>/api/health</c> and <c>/api/auth</c> that carries no Authorization header of its own.
    /// </summary>
    /// <param name="connectionString">AzureWebJobsStorage.</param>
    /// <param name="settings">Extra environment (e.g. <c>Dispatch__VisibilityTimeout</c>).</param>
    /// <param name="customHandler">Start as the Functions host would (FUNCTIONS_CUSTOMHANDLER_PORT).</param>
    public static async Task<FunctionAppProcess> StartAsync(string connectionString, IDictionary<string, string>? settings = null, bool customHandler = false)
    {
        var port = FreePorts.Next();
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
        if (customHandler)
        {
            psi.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            psi.Environment.Remove("ASPNETCORE_URLS");
        }
        else
        {
            psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        }

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
        var app = new FunctionAppProcess(process, port);
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

        app._signIn = string.Equals(psi.Environment["IDP_MODE"], "local", StringComparison.OrdinalIgnoreCase);
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
            if (_output.Length < 16_000_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task<string> TokenAsync(HttpMessageInvoker inner, CancellationToken ct)
    {
        await _signInLock.WaitAsync(ct);
        try
        {
            if (AdminToken is { } token)
            {
                return token;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, "/api/auth/dev-token"))
            {
                Content = new StringContent($"{{\"user\":\"{TestAdmin}\"}}", Encoding.UTF8, "application/json"),
            };
            using var response = await inner.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Signing in as {TestAdmin} failed: {(int)response.StatusCode} {body}");
            }

            return AdminToken = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
        }
        finally
        {
            _signInLock.Release();
        }
    }

    /// <summary>Adds the test admin's token to calls of protected functions.</summary>
    private sealed class SignInHandler(FunctionAppProcess app) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri?.IsAbsoluteUri == true ? request.RequestUri.AbsolutePath : request.RequestUri?.OriginalString ?? string.Empty;
            if (app._signIn && request.Headers.Authorization is null &&
                !path.StartsWith("/api/health", StringComparison.Ordinal) && !path.StartsWith("/api/auth/", StringComparison.Ordinal))
            {
                var token = await app.TokenAsync(new HttpMessageInvoker(InnerHandler!, disposeHandler: false), cancellationToken);
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
