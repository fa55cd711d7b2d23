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
/// ingest time and memory, times a second instance over the same storage until it answers the whole catalog, then
/// drives the scenarios of issue #18 (get by name, by-query <c>kind=component</c>, full text on name and title, every
/// component in one list) and the older ones (by-query with cursors, full text anywhere, facets): first with wrk
/// (closed loop), then open loop at a fixed rate. Every phase prints the app's peak RSS (VmHWM, reset before the
/// phase) and its RSS after, and the load average. Options: <c>--entities N</c>, <c>--connections N</c> (default 50),
/// <c>--seconds N</c>, <c>--threads N</c> (wrk threads, default 1), <c>--rate N</c> (open-loop requests per second,
/// 0 skips the open loop), <c>--env KEY=VALUE</c> (repeatable: settings for both app instances, e.g. GC settings),
/// <c>--only a,b</c> (scenario names containing these words).
/// </summary>
public static class CatalogBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var entities = Option(args, "--entities", 50_000);
        var connections = Option(args, "--connections", 50);
        var seconds = Option(args, "--seconds", 15);
        var threads = Option(args, "--threads", 1);
        var rate = Option(args, "--rate", 200);
        var only = StringOption(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // A snapshot soon after ingest, so the second instance below starts from it (the default waits longer).
            ["Catalog__SnapshotInterval"] = "00:00:05",
            // The generated catalog is one location: above 100,000 entities (the default cap) it needs a higher one.
            ["Catalog__MaxEntitiesPerLocation"] = Math.Max(100_000, entities * 2).ToString(CultureInfo.InvariantCulture),
        };
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--env" && args[i + 1].Split('=', 2) is [var key, var value])
            {
                env[key] = value;
            }
        }

        var root = ColdStartBenchmark.RepoRoot();
        // --dll runs another build of the app, e.g. the ReadyToRun publish folder Azure runs (dotnet publish -r linux-x64).
        var dll = StringOption(args, "--dll") ?? Path.Combine(root, "functions", "IdpServerless.Functions", "bin", "Release", "net10.0", "IdpServerless.Functions.dll");
        if (!File.Exists(dll) || !File.Exists("/usr/bin/wrk"))
        {
            Console.Error.WriteLine($"needs {dll} (dotnet build functions/IdpServerless.Functions -c Release) and /usr/bin/wrk (apt-get install wrk).");
            return 1;
        }

        var folder = Path.Combine(Path.GetTempPath(), "idp-catalog-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load average {LoadAverage()}; app {dll}; settings: {string.Join(' ', env.Select(e => e.Key + "=" + e.Value))}");
            var watch = Stopwatch.StartNew();
            var catalog = CatalogGenerator.Write(folder, entities);
            Console.WriteLine($"generated {catalog.Total:N0} entities in {catalog.Files} files ({catalog.Bytes / 1048576.0:F1} MiB of YAML) in {watch.Elapsed.TotalSeconds:F1} s");

            await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(30));
            await using var app = await CatalogAppProcess.StartAsync(dll, azurite.ConnectionString, folder, Admin, env);
            using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
            var token = await TokenAsync(http);
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

            app.ResetPeak();
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
            var snapshotWritten = app.WaitForLogAsync($"Catalog snapshot written: {count} entities", TimeSpan.FromMinutes(5));
            Console.WriteLine($"ingest: {count:N0} entities stored and queryable in {ingest.TotalSeconds:F1} s ({count / ingest.TotalSeconds:N0} entities/s); app RSS {app.RssMiB():F0} MiB, peak during ingest {app.PeakMiB():F0} MiB");

            // A second instance over the same storage (what every scale-out instance does at start): from the snapshot
            // the first one writes after ingest when there is one, else from Table storage.
            try
            {
                await snapshotWritten;
            }
            catch (TimeoutException)
            {
                Console.WriteLine("  (no snapshot was written within 5 minutes: the second instance loads from Table storage)");
            }

            var firstCpu = app.CpuTime();
            await using (var second = await CatalogAppProcess.StartAsync(dll, azurite.ConnectionString, folder, Admin, env))
            {
                using var h2 = new HttpClient { BaseAddress = second.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
                h2.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                var (loaded, unavailable) = await CountWhileLoadingAsync(h2);
                var answered = second.SinceStart.Elapsed;
                Console.WriteLine($"new instance: health after {second.HealthAfter.TotalSeconds:F2} s, the whole catalog ({loaded:N0} entities{(loaded == count ? ", same as the first" : $", NOT the first's {count:N0}")}) after {answered.TotalSeconds:F2} s from spawn ({unavailable} answers 503 before); its RSS {second.RssMiB():F0} MiB, peak {second.PeakMiB():F0} MiB; CPU meanwhile: the new instance {second.CpuTime().TotalSeconds:F1} s, the first instance beside it on the same cores {(app.CpuTime() - firstCpu).TotalSeconds:F1} s");
            }

            var scenarios = (await BuildScenariosAsync(http, catalog, folder))
                .Where(s => only is null || only.Any(o => s.Name.Contains(o, StringComparison.OrdinalIgnoreCase))).ToList();
            Console.WriteLine();
            Console.WriteLine($"wrk -t{threads} -c{connections} -d{seconds}s against {app.BaseAddress} (after a 3 s warm-up per scenario); peak = VmHWM of the app during the scenario");
            Console.WriteLine("| scenario | requests/s | p50 ms | p95 ms | p99 ms | p99/p50 | non-2xx | socket errors | peak RSS MiB | RSS after MiB | load avg |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (var (name, urlFile) in scenarios)
            {
                var load = LoadAverage();
                app.ResetPeak();
                await Wrk.RunAsync(app.BaseAddress, urlFile, threads, connections, 3, token);
                var from = DateTime.UtcNow;
                var r = await Wrk.RunAsync(app.BaseAddress, urlFile, threads, connections, seconds, token);
                // The wall-clock window, to line a tail up with the app's timed lines above it (a refresh, a snapshot).
                Console.WriteLine($"| {name} ({from:HH:mm:ss}-{DateTime.UtcNow:HH:mm:ss}) | {r.RequestsPerSecond:N0} | {r.P50:F2} | {r.P95:F2} | {r.P99:F2} | {r.P99 / r.P50:F1} | {r.Non2xx} | {r.SocketErrors} | {app.PeakMiB():F0} | {app.RssMiB():F0} | {load} |");
            }

            if (rate > 0)
            {
                Console.WriteLine();
                Console.WriteLine($"open loop: {rate} requests/s on a schedule over {connections} open connections, {seconds} s per scenario (not the whole-list one)");
                Console.WriteLine("| scenario | achieved/s | p50 ms | p95 ms | p99 ms | errors | peak RSS MiB | load avg |");
                Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---|");
                foreach (var (name, urlFile) in scenarios.Where(s => !s.Name.Contains("list", StringComparison.Ordinal)))
                {
                    var load = LoadAverage();
                    app.ResetPeak();
                    var urls = await File.ReadAllLinesAsync(urlFile);
                    var r = await OpenLoad.RunAsync(app.BaseAddress, token, urls, connections, rate, seconds);
                    Console.WriteLine($"| {name} | {r.AchievedPerSecond:N0} | {r.P50:F2} | {r.P95:F2} | {r.P99:F2} | {r.Errors} | {app.PeakMiB():F0} | {load} |");
                }
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

    /// <summary>The 1-, 5- and 15-minute load averages (other engineers share these cores).</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

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

        // Issue #18's battery: by-query kind=component limit 20 (first pages), full text on name and title, every component at once.
        var components = new List<string> { "/api/catalog/entities/by-query?filter=kind=component&limit=20" };
        var nameTitle = CatalogGenerator.Words.SelectMany(w => new[] { w, w[..Math.Min(4, w.Length)] })
            .Select(w => $"/api/catalog/entities/by-query?fullTextFilterTerm={w}&fullTextFilterFields=metadata.name,metadata.title&limit=20").ToList();
        var list = new List<string> { "/api/catalog/entities?filter=kind=component" };

        var result = new List<(string, string)>();
        foreach (var (name, urls) in new[]
        {
            ("get by name", byName), ("by-query kind=component limit 20", components), ("by-query, filter + cursor", queries),
            ("full text on name+title", nameTitle), ("full-text search", search), ("facets", facets), ("all components in one list", list),
        })
        {
            var file = Path.Combine(folder, name.Replace(' ', '_').Replace(',', '_').Replace('+', '_') + ".urls");
            await File.WriteAllLinesAsync(file, urls);
            result.Add((name, file));
        }

        return result;
    }

    /// <summary>
    /// Polls a new instance for every component until it answers 200: checks each 503 carries Retry-After and the
    /// 200 is the whole catalog; returns the catalog's count and how many 503s came first.
    /// </summary>
    private static async Task<(int Count, int Unavailable)> CountWhileLoadingAsync(HttpClient http)
    {
        var unavailable = 0;
        while (true)
        {
            using var response = await http.GetAsync("/api/catalog/entities/by-query?limit=0");
            if (response.IsSuccessStatusCode)
            {
                return ((await response.Content.ReadFromJsonAsync<JsonObject>())!["totalItems"]!.GetValue<int>(), unavailable);
            }

            if ((int)response.StatusCode == 503)
            {
                unavailable++;
                if (response.Headers.RetryAfter is null)
                {
                    Console.WriteLine("  a 503 without Retry-After from the new instance");
                }
            }

            await Task.Delay(20);
        }
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

    private static string? StringOption(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
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
}
