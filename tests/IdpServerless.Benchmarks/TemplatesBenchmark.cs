using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace IdpServerless.Benchmarks;

/// <summary>
/// Form submit to running: the function app (Release build) as a process in local mode with the demo catalog, one
/// template task after another, timing <c>POST /api/scaffolder/v2/tasks</c> until the task is completed. For the .NET
/// service template that includes creating both repositories, registering the component with its environments and the
/// first deployment to dev until it is healthy (deploy:start waits for it). Goal: under 60 s.
/// Options: <c>--runs N</c> (default 5), <c>--template NAME</c> (default dotnet-service).
/// </summary>
public static class TemplatesBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = BenchmarkArgs.Option(args, "--runs") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 5;
        var template = BenchmarkArgs.Option(args, "--template") ?? "dotnet-service";
        var root = ColdStartBenchmark.RepoRoot();
        var dll = Path.Combine(root, "functions", "IdpServerless.Functions", "bin", "Release", "net10.0", "IdpServerless.Functions.dll");
        if (!File.Exists(dll))
        {
            Console.Error.WriteLine($"{dll} not found: run 'dotnet build functions/IdpServerless.Functions -c Release' first.");
            return 1;
        }

        var dataDir = Path.Combine(Path.GetTempPath(), "idp-bench-templates-" + Guid.NewGuid().ToString("N"));
        await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(30));
        var port = BenchmarkArgs.FreePort();
        using var process = LocalDemoApp.Start(dll, azurite.ConnectionString, port, dataDir);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            var token = await UntilAsync(async () =>
            {
                using var t = await http.PostAsJsonAsync("/api/auth/dev-token", new { user = "user:default/admin" });
                return t.IsSuccessStatusCode ? (await t.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.ToString() : null;
            }, "a dev token for user:default/admin (demo catalog loaded)");
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await UntilAsync(async () => (await http.GetAsync($"/api/scaffolder/v2/templates/default/template/{template}/parameter-schema")).IsSuccessStatusCode ? "ok" : null, $"template {template} in the catalog");

            var samples = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var name = $"bench-{i}-{Guid.NewGuid().ToString("N")[..6]}";
                var watch = Stopwatch.StartNew();
                using var created = await http.PostAsJsonAsync("/api/scaffolder/v2/tasks", new { templateRef = $"template:default/{template}", values = new { name, owner = "group:default/payments-team" } });
                var body = await created.Content.ReadFromJsonAsync<JsonObject>();
                if (!created.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"task refused: {(int)created.StatusCode} {body}");
                    return 1;
                }

                var id = body!["id"]!.ToString();
                var task = await UntilAsync(async () =>
                {
                    var t = await http.GetFromJsonAsync<JsonObject>($"/api/scaffolder/v2/tasks/{id}");
                    return t!["status"]!.ToString() is "completed" or "failed" or "cancelled" ? t : null;
                }, $"task {id}", TimeSpan.FromMinutes(5));
                watch.Stop();
                if (task["status"]!.ToString() != "completed")
                {
                    Console.Error.WriteLine($"task {id} ended {task["status"]}: {task["error"]?["message"]}");
                    return 1;
                }

                samples.Add(watch.Elapsed.TotalMilliseconds);
                Console.WriteLine($"run {i + 1}: {watch.Elapsed.TotalMilliseconds:F0} ms ({task["steps"]!.AsArray().Count} steps)");
            }

            samples.Sort();
            double P(double p) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(p * samples.Count) - 1)];
            Console.WriteLine($"{template}: form submit to completed over {runs} runs: min {samples[0]:F0} ms, p50 {P(0.5):F0} ms, p95 {P(0.95):F0} ms, max {samples[^1]:F0} ms (goal < 60000 ms)");
            return 0;
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    private static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not up yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"timed out waiting for {what}");
    }


}
