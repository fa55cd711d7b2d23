using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace IdpServerless.Benchmarks;

/// <summary>
/// Webhook and chat intake latency: the request path only (verify the signature, insert the delivery id, enqueue,
/// answer), against a private Azurite and the Release-built function app as a process with its dispatchers off.
/// Phases: signed GitHub push deliveries (new delivery ids), the same delivery id again (duplicates), Slack slash
/// commands (v0 signature, enqueue, ephemeral ack). Options: <c>--seconds N</c> (default 10), <c>--concurrency N</c> (default 16).
/// Build first: <c>dotnet build functions/IdpServerless.Functions -c Release</c>.
/// </summary>
public static class EventsBenchmark
{
    private const string WebhookSecret = "benchmark-webhook-secret";
    private const string SlackSecret = "benchmark-slack-secret";

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 10);
        var concurrency = Option(args, "--concurrency", 16);
        var dll = Path.Combine(ColdStartBenchmark.RepoRoot(), "functions", "IdpServerless.Functions", "bin", "Release", "net10.0", "IdpServerless.Functions.dll");
        if (!File.Exists(dll))
        {
            Console.Error.WriteLine($"{dll} not found: run 'dotnet build functions/IdpServerless.Functions -c Release' first.");
            return 1;
        }

        await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(30));
        var port = BenchmarkArgs.FreePort();
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        psi.Environment["AzureWebJobsStorage"] = azurite.ConnectionString;
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["IDP_LOCAL_SETTINGS"] = "/nonexistent/local.settings.json";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Dispatch__Enabled"] = "false";
        // One load generator is one address: the per-address limit (100/s by default) would answer most calls with 429.
        psi.Environment["IDP_RATE_LIMIT_PER_ADDRESS"] = "0";
        psi.Environment["IDP_RATE_LIMIT_PER_IDENTITY"] = "0";
        psi.Environment["Webhooks__GitHub__DefaultSecret"] = "local:bench-webhook";
        psi.Environment["Secrets__bench-webhook"] = WebhookSecret;
        psi.Environment["Secrets__slack-signing-secret"] = SlackSecret;
        using var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            await WaitHealthyAsync(http, process);
            var push = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "github-push.json"));
            var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), Encoding.UTF8.GetBytes(push)));
            var duration = TimeSpan.FromSeconds(seconds);
            var failures = 0L;
            var unexpected = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();

            async Task<int> Post(HttpRequestMessage request, int expected)
            {
                using var r = await http.SendAsync(request);
                if ((int)r.StatusCode != expected)
                {
                    Interlocked.Increment(ref failures);
                    unexpected.AddOrUpdate((int)r.StatusCode, 1, (_, n) => n + 1);
                }

                return 1;
            }

            HttpRequestMessage Hook(string delivery)
            {
                var m = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/github") { Content = new StringContent(push, Encoding.UTF8, "application/json") };
                m.Headers.Add("X-GitHub-Event", "push");
                m.Headers.Add("X-GitHub-Delivery", delivery);
                m.Headers.Add("X-Hub-Signature-256", signature);
                return m;
            }

            // Warm-up: JIT, connection pool, table and queue creation.
            for (var i = 0; i < 50; i++)
            {
                await Post(Hook(Guid.NewGuid().ToString()), 202);
            }

            failures = 0;
            var results = new List<LatencyRecorder.Result>
            {
                await LatencyRecorder.RunAsync("github push, new delivery -> 202", concurrency, duration, (_, _) => Post(Hook(Guid.NewGuid().ToString()), 202)),
            };
            var duplicate = Guid.NewGuid().ToString();
            await Post(Hook(duplicate), 202);
            results.Add(await LatencyRecorder.RunAsync("github push, duplicate delivery -> 200", concurrency, duration, (_, _) => Post(Hook(duplicate), 200)));
            results.Add(await LatencyRecorder.RunAsync("slack slash command -> ack", concurrency, duration, (w, i) =>
            {
                var form = $"team_id=T1&user_id=U{w}&command=%2Fidp&text=status+payments-api&response_url={Uri.EscapeDataString("https://hooks.slack.com/commands/T1/" + i)}";
                var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                var m = new HttpRequestMessage(HttpMethod.Post, "/api/chatops/slack/commands") { Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded") };
                m.Headers.Add("X-Slack-Request-Timestamp", ts);
                m.Headers.Add("X-Slack-Signature", "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SlackSecret), Encoding.UTF8.GetBytes($"v0:{ts}:{form}"))));
                return Post(m, 200);
            }));

            Console.WriteLine($"payload {push.Length} bytes, concurrency {concurrency}, {seconds} s per phase, errors {failures}" +
                (unexpected.IsEmpty ? "" : " (" + string.Join(", ", unexpected.OrderBy(p => p.Key).Select(p => $"{p.Value} x HTTP {p.Key}")) + ")"));
            Console.WriteLine("| phase | req/s | requests | p50 ms | p95 ms | p99 ms |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            foreach (var r in results)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Name} | {r.UnitsPerSecond:F1} | {r.Operations} | {r.P50Ms:F2} | {r.P95Ms:F2} | {r.P99Ms:F2} |"));
            }

            return failures == 0 ? 0 : 1;
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process process)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the app exited with {process.ExitCode}");
            }

            try
            {
                using var r = await http.GetAsync("/api/health");
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("no 200 on /api/health within 60 s");
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

}
