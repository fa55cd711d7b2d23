using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace IdpServerless.Benchmarks;

/// <summary>
/// The catalog at scale: generates a Backstage catalog of 50,000 entities with realistic relations (groups with
/// parents, users in teams, domains, systems, components providing and consuming APIs, resources they depend on),
/// registers it through <c>POST /api/catalog/locations</c> on the real app (Release build, own Azurite), reports
/// ingest time and memory, then drives 256 connections at get-by-name, by-query with a filter and cursor, full-text
/// search and facets: first with wrk (closed loop: maximum throughput), then open loop at a fixed rate (latency at a
/// given load). Options: <c>--entities N</c>, <c>--connections N</c>, <c>--seconds N</c>, <c>--threads N</c> (wrk
/// threads), <c>--rate N</c> (open-loop requests per second).
/// </summary>
public static class CatalogBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var entities = Option(args, "--entities", 50_000);
        var connections = Option(args, "--connections", 256);
        var seconds = Option(args, "--seconds", 15);
        var threads = Option(args, "--threads", 2);
        var rate = Option(args, "--rate", 400);
        var root = ColdStartBenchmark.RepoRoot();
        var dll = Path.Combine(root, "functions", "IdpServerless.Functions", "bin", "Release", "net10.0", "IdpServerless.Functions.dll");
        if (!File.Exists(dll) || !File.Exists("/usr/bin/wrk"))
        {
            Console.Error.WriteLine($"needs {dll} (dotnet build functions/IdpServerless.Functions -c Release) and /usr/bin/wrk (apt-get install wrk).");
            return 1;
        }

        var folder = Path.Combine(Path.GetTempPath(), "idp-catalog-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            var watch = Stopwatch.StartNew();
            var catalog = CatalogGenerator.Write(folder, entities);
            Console.WriteLine($"generated {catalog.Total:N0} entities in {catalog.Files} files ({catalog.Bytes / 1048576.0:F1} MiB of YAML) in {watch.Elapsed.TotalSeconds:F1} s");

            await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(30));
            await using var app = await AppProcess.StartAsync(dll, azurite.ConnectionString, folder);
            using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
            var token = await TokenAsync(http);
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

            watch.Restart();
            using (var registered = await http.PostAsJsonAsync("/api/catalog/locations", new { type = "file", target = catalog.RootFile }))
            {
                if (!registered.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"registration failed: {(int)registered.StatusCode} {(await registered.Content.ReadAsStringAsync())[..2000]}");
                    return 1;
                }

                await registered.Content.CopyToAsync(Stream.Null);
            }

            var ingest = watch.Elapsed;
            var count = await CountAsync(http);
            var rssAfterIngest = app.RssMiB();
            Console.WriteLine($"ingest: {count:N0} entities stored and queryable in {ingest.TotalSeconds:F1} s ({count / ingest.TotalSeconds:N0} entities/s); app RSS {rssAfterIngest:F0} MiB");

            // A second instance loads the same catalog from Table storage (what every instance does at start).
            watch.Restart();
            await using (var second = await AppProcess.StartAsync(dll, azurite.ConnectionString, folder))
            {
                using var h2 = new HttpClient { BaseAddress = second.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
                h2.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                var loaded = await CountAsync(h2);
                Console.WriteLine($"cold load of a second instance from Table storage: {loaded:N0} entities in {watch.Elapsed.TotalSeconds:F1} s; its RSS {second.RssMiB():F0} MiB");
            }

            var scenarios = await BuildScenariosAsync(http, catalog, folder);
            Console.WriteLine();
            Console.WriteLine($"wrk -t{threads} -c{connections} -d{seconds}s against {app.BaseAddress} (after a 3 s warm-up per scenario)");
            Console.WriteLine("| scenario | requests/s | p50 ms | p95 ms | p99 ms | non-2xx | socket errors |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var (name, urlFile) in scenarios)
            {
                await Wrk.RunAsync(app.BaseAddress, urlFile, threads, connections, 3, token);
                var r = await Wrk.RunAsync(app.BaseAddress, urlFile, threads, connections, seconds, token);
                Console.WriteLine($"| {name} | {r.RequestsPerSecond:N0} | {r.P50:F2} | {r.P95:F2} | {r.P99:F2} | {r.Non2xx} | {r.SocketErrors} |");
            }

            Console.WriteLine();
            Console.WriteLine($"open loop: {rate} requests/s on a schedule over {connections} open connections, {seconds} s per scenario");
            Console.WriteLine("| scenario | achieved/s | p50 ms | p95 ms | p99 ms | errors |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            foreach (var (name, urlFile) in scenarios)
            {
                var urls = await File.ReadAllLinesAsync(urlFile);
                var r = await OpenLoad.RunAsync(app.BaseAddress, token, urls, connections, rate, seconds);
                Console.WriteLine($"| {name} | {r.AchievedPerSecond:N0} | {r.P50:F2} | {r.P95:F2} | {r.P99:F2} | {r.Errors} |");
            }

            Console.WriteLine();
            Console.WriteLine($"app RSS after the load: {app.RssMiB():F0} MiB");
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Writes one URL list per scenario (wrk's script picks from it at random).</summary>
    private static async Task<List<(string Name, string UrlFile)>> BuildScenariosAsync(HttpClient http, GeneratedCatalog catalog, string folder)
    {
        var random = new Random(7);
        var byName = Enumerable.Range(0, 2000).Select(_ => catalog.Refs[random.Next(catalog.Refs.Count)])
            .Select(r => $"/api/catalog/entities/by-name/{r.Kind}/default/{r.Name}").ToList();

        var queries = new List<string>();
        foreach (var filter in new[] { "kind=component,spec.type=service", "kind=api,spec.lifecycle=production", "kind=component,spec.lifecycle=experimental", "kind=resource" })
        {
            var url = $"/api/catalog/entities/by-query?filter={filter}&limit=20&orderField=metadata.name,asc";
            queries.Add(url);
            var cursor = (await http.GetFromJsonAsync<JsonObject>(url))!["pageInfo"]!["nextCursor"]?.GetValue<string>();
            for (var i = 0; i < 50 && cursor is not null; i++)
            {
                var next = $"/api/catalog/entities/by-query?limit=20&cursor={cursor}";
                queries.Add(next);
                cursor = (await http.GetFromJsonAsync<JsonObject>(next))!["pageInfo"]!["nextCursor"]?.GetValue<string>();
            }
        }

        foreach (var team in catalog.Teams.Take(50))
        {
            queries.Add($"/api/catalog/entities/by-query?filter=kind=component,relations.ownedby=group:default/{team}&limit=20");
        }

        var search = new List<string>();
        foreach (var word in CatalogGenerator.Words)
        {
            search.Add($"/api/catalog/entities/by-query?fullTextFilterTerm={word}&limit=20");
            search.Add($"/api/catalog/entities/by-query?fullTextFilterTerm={word[..Math.Min(4, word.Length)]}&limit=20");
            if (word.Length >= 5)
            {
                search.Add($"/api/catalog/entities/by-query?fullTextFilterTerm={word.Remove(2, 1)}&limit=20");
            }

            search.Add($"/api/catalog/entities/by-query?fullTextFilterTerm={word}%20service&filter=kind=component&limit=20");
        }

        var facets = new List<string> { "/api/catalog/entity-facets?facet=kind&facet=spec.type&facet=spec.lifecycle" };
        facets.AddRange(catalog.Teams.Take(100).Select(t => $"/api/catalog/entity-facets?facet=kind&facet=spec.type&facet=metadata.tags&filter=relations.ownedby=group:default/{t}"));
        facets.AddRange(new[] { "component", "api", "resource", "user", "group" }.Select(k => $"/api/catalog/entity-facets?facet=spec.type&facet=spec.lifecycle&facet=metadata.tags&filter=kind={k}"));

        var result = new List<(string, string)>();
        foreach (var (name, urls) in new[] { ("get by name", byName), ("by-query, filter + cursor", queries), ("full-text search", search), ("facets", facets) })
        {
            var file = Path.Combine(folder, name.Replace(' ', '_').Replace(',', '_').Replace('+', '_') + ".urls");
            await File.WriteAllLinesAsync(file, urls);
            result.Add((name, file));
        }

        return result;
    }

    /// <summary>The catalog's entity count, once it answers (it answers 503 while its first load runs).</summary>
    private static async Task<int> CountAsync(HttpClient http)
    {
        while (true)
        {
            using var response = await http.GetAsync("/api/catalog/entities/by-query?limit=0");
            if (response.IsSuccessStatusCode)
            {
                return (await response.Content.ReadFromJsonAsync<JsonObject>())!["totalItems"]!.GetValue<int>();
            }

            await Task.Delay(100);
        }
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private const string Admin = "user:default/bench-admin";

    /// <summary>A dev-issuer bearer token for the benchmark's admin.</summary>
    private static async Task<string> TokenAsync(HttpClient http)
    {
        using var issued = await http.PostAsJsonAsync("/api/auth/dev-token", new { user = Admin });
        issued.EnsureSuccessStatusCode();
        return (await issued.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
    }

    /// <summary>The function app as a process on a free port, file locations allowed under the catalog folder.</summary>
    private sealed class AppProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private AppProcess(Process process, Uri baseAddress)
        {
            _process = process;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        public static async Task<AppProcess> StartAsync(string dll, string connectionString, string folder)
        {
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
            psi.Environment["AzureWebJobsStorage"] = connectionString;
            psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            psi.Environment["IDP_LOCAL_SETTINGS"] = "/nonexistent/local.settings.json";
            psi.Environment["Logging__LogLevel__Default"] = "Warning";
            psi.Environment["Logging__LogLevel__IdpServerless.Functions.Catalog"] = "Information";
            psi.Environment["Logging__Console__FormatterName"] = "simple";
            psi.Environment["Catalog__FileRoots__0"] = folder;
            psi.Environment["Catalog__RefreshSchedule"] = "0 0 0 1 1 *";

            // Identity stays on (every request carries a dev-issuer token and is authorized); only its per-caller rate
            // limits are turned off through their documented settings, or one load generator would be throttled.
            psi.Environment["IDP_MODE"] = "local";
            psi.Environment["IDP_DATA_DIR"] = Path.Combine(folder, "data");
            psi.Environment["IDP_BOOTSTRAP_ADMINS"] = Admin;
            psi.Environment["IDP_RATE_LIMIT_PER_IDENTITY"] = "0";
            psi.Environment["IDP_RATE_LIMIT_PER_ADDRESS"] = "0";
            var process = Process.Start(psi)!;
            process.OutputDataReceived += (_, e) => Echo(e.Data);
            process.ErrorDataReceived += (_, e) => Echo(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}"));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var until = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    using var r = await http.GetAsync(new Uri(app.BaseAddress, "/api/health"));
                    if (r.IsSuccessStatusCode)
                    {
                        return app;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && DateTime.UtcNow < until)
                {
                    await Task.Delay(100);
                }
            }
        }

        private static void Echo(string? line)
        {
            if (line is not null && (line.Contains("Catalog loaded", StringComparison.Ordinal) || line.Contains("registered (", StringComparison.Ordinal) || line.Contains("fail", StringComparison.Ordinal)))
            {
                Console.WriteLine("  app: " + line.Trim());
            }
        }

        public double RssMiB()
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
