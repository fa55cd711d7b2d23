using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace IdpServerless.Benchmarks;

/// <summary>
/// Page loads of the browser app in Debian's Chromium, against the real function app (Release build, local mode, demo
/// data) on Azurite and the app's own static server. For the catalog and an entity page it measures, cold (a new
/// browser context each time: empty HTTP cache) and warm (the same context, cache filled), the navigation timing
/// (<c>loadEventEnd</c>) and the time until the page's content is on screen (the first catalog row, the entity's
/// title), and prints p50/p95, with the cold loads' phases (document in, DOM interactive, DOMContentLoaded). It also
/// prints the initial JavaScript and CSS that index.html loads, raw and gzip. Chromium is driven over DevTools with
/// only the Page domain on (<see cref="HeadlessChromium"/>): no automation layer's instrumentation in the figures.
/// Needs <c>dotnet build functions/IdpServerless.Functions -c Release</c> and <c>npm run build</c> in static-web.
/// Options: <c>--runs N</c> (default 40 per page and mode); <c>--trace</c> (the requests of one cold and one warm
/// load); <c>--profile</c> (a V8 CPU profile of one cold load per page); <c>--timeline</c> (a Chromium trace of one
/// cold load per page); <c>--compare DIR</c> (another build of the
/// app, e.g. <c>npx vite build --outDir /tmp/other</c>, loaded in turn with this one so both see the same machine).
/// </summary>
public static partial class PageLoadBenchmark
{
    private sealed record PageSpec(string Name, string Path, string ContentSelector);

    private static readonly PageSpec[] Pages =
    [
        new("catalog", "/catalog", "[data-testid^='entity-row-']"),
        new("entity", "/catalog/default/component/payments-service", "[data-testid='entity-title']"),
        // Not a page of the app: a cold load of the static server's 60-byte /config.json, the floor this machine's
        // Chromium sets for any cold load (new context, new renderer process, one request), to read the others against.
        new("floor", "/config.json", "body"),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = BenchmarkArgs.Option(args, "--runs") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 40;
        var trace = args.Contains("--trace");
        var profile = args.Contains("--profile");
        var timeline = args.Contains("--timeline");
        var compare = BenchmarkArgs.Option(args, "--compare") is { } c ? Path.GetFullPath(c) : null;
        if (compare is not null && !File.Exists(Path.Combine(compare, "index.html")))
        {
            Console.Error.WriteLine($"--compare {compare}: no index.html there (build the other version with --outDir first)");
            return 1;
        }

        var root = ColdStartBenchmark.RepoRoot();
        var dll = Path.Combine(root, "functions", "IdpServerless.Functions", "bin", "Release", "net10.0", "IdpServerless.Functions.dll");
        var dist = Path.Combine(root, "static-web", "dist");
        if (!File.Exists(dll) || !File.Exists(Path.Combine(dist, "index.html")))
        {
            Console.Error.WriteLine("Build first: 'dotnet build functions/IdpServerless.Functions -c Release' and 'npm ci && npm run build' in static-web.");
            return 1;
        }

        PrintBundle(dist);
        var dataDir = Path.Combine(Path.GetTempPath(), "idp-bench-pageload-" + Guid.NewGuid().ToString("N"));
        await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(30));
        var apiPort = BenchmarkArgs.FreePort();
        using var web = StartStaticServer(root, dist, apiPort, out var webBase);
        Uri? otherBase = null;
        using var other = compare is null ? null : StartStaticServer(root, compare, apiPort, out otherBase);
        using var app = StartApp(dll, azurite.ConnectionString, apiPort, dataDir, otherBase is null ? [webBase] : [webBase, otherBase]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}"), Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            var session = await Until(async () =>
            {
                using var t = await http.PostAsJsonAsync("/api/auth/dev-token", new { user = "user:default/alice" });
                if (!t.IsSuccessStatusCode)
                {
                    return null;
                }

                var body = await t.Content.ReadFromJsonAsync<JsonElement>();
                using var probe = new HttpRequestMessage(HttpMethod.Get, "/api/catalog/entities/by-name/component/default/payments-service");
                probe.Headers.Authorization = new("Bearer", body.GetProperty("access_token").GetString());
                using var found = await http.SendAsync(probe);
                return found.IsSuccessStatusCode ? body : (JsonElement?)null;
            }, "the demo catalog to load");
            var stored = JsonSerializer.Serialize(new
            {
                token = session.GetProperty("access_token").GetString(),
                expiresAt = DateTimeOffset.UtcNow.AddSeconds(session.GetProperty("expires_in").GetInt32()).ToUnixTimeMilliseconds(),
            });
            var signIn = $"sessionStorage.setItem('idp.session', {JsonSerializer.Serialize(stored)});" + ContentObserver;
            await SettleAsync(app, azurite);

            await using var browser = await HeadlessChromium.LaunchAsync();

            Console.WriteLine($"page loads in Chromium, {runs} runs per page and mode (ms; 'content' = first catalog row / entity title on screen)");
            Console.WriteLine($"{"page",-8} {"mode",-5} {"load p50",9} {"load p95",9} {"content p50",12} {"content p95",12}");
            // With --compare, every page of the other build ("<page>/B") takes its turn beside this build's.
            var targets = Pages.Select(p => (Spec: p, Name: p.Name, Url: new Uri(webBase, p.Path).ToString())).ToList();
            if (otherBase is not null)
            {
                targets = targets.SelectMany(t => t.Spec.Name == "floor"
                    ? [t]
                    : new[] { t, (t.Spec, t.Name + "/B", new Uri(otherBase, t.Spec.Path).ToString()) }).ToList();
                Console.WriteLine($"'/B' rows: the build in {compare}, loaded in turn with this one's");
            }

            // One unmeasured load of each page first, so the backend's own first-call costs (JIT, caches) are not in the figures.
            foreach (var (spec, _, url) in targets)
            {
                await using var warmup = await browser.OpenTabAsync(signIn);
                await LoadAsync(warmup, url, spec.ContentSelector);
            }

            // Cold loads alternate between the pages, so neither gets the early (or late) minutes of the run to itself.
            var cold = targets.ToDictionary(t => t.Name, _ => new List<Sample>());
            var cpuBefore = CpuTicks.Read();
            for (var i = 0; i < runs; i++)
            {
                foreach (var (spec, name, url) in targets)
                {
                    await using var tab = await browser.OpenTabAsync(signIn);
                    cold[name].Add(await LoadAsync(tab, url, spec.ContentSelector));
                }
            }

            // This VM shares its host: when the hypervisor takes CPU away, every figure moves, the floor included.
            Console.WriteLine(CpuTicks.Since(cpuBefore, "during the cold loads"));
            foreach (var (spec, name, url) in targets)
            {
                var warm = new List<Sample>();
                await using (var tab = await browser.OpenTabAsync(signIn))
                {
                    await LoadAsync(tab, url, spec.ContentSelector);
                    for (var i = 0; i < runs; i++)
                    {
                        warm.Add(await LoadAsync(tab, url, spec.ContentSelector));
                    }
                }

                Print(name, "cold", cold[name]);
                PrintPhases(name, cold[name]);
                Print(name, "warm", warm);
                if (trace)
                {
                    await TraceAsync(browser, signIn, url, spec.ContentSelector);
                }

                if (profile)
                {
                    await ProfileAsync(browser, signIn, url, spec.ContentSelector, name);
                }

                if (timeline)
                {
                    await TimelineAsync(browser, signIn, url, spec.ContentSelector, name);
                }
            }

            return 0;
        }
        finally
        {
            if (!app.HasExited)
            {
                app.Kill(entireProcessTree: true);
                await app.WaitForExitAsync();
            }

            foreach (var server in new[] { web, other })
            {
                if (server is { HasExited: false })
                {
                    server.Kill(entireProcessTree: true);
                    await server.WaitForExitAsync();
                }
            }

            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    /// <summary>
    /// Runs before the page's own scripts: records, per content selector, the performance.now() of the first DOM
    /// change after which it matches (exact to the mutation, unlike polling).
    /// </summary>
    private static readonly string ContentObserver = """
        (() => {
          const selectors = __SELECTORS__;
          window.__idpSeen = {};
          const check = () => {
            for (const s of selectors) {
              if (!window.__idpSeen[s] && document.querySelector(s)) window.__idpSeen[s] = performance.now();
            }
          };
          new MutationObserver(check).observe(document, { childList: true, subtree: true });
        })();
        """.Replace("__SELECTORS__", JsonSerializer.Serialize(Pages.Select(p => p.ContentSelector)), StringComparison.Ordinal);

    /// <summary>Navigates and returns (loadEventEnd, time the content selector first matched), both from navigation start.</summary>
    private static async Task<Sample> LoadAsync(HeadlessChromium.Tab tab, string url, string selector)
    {
        await tab.NavigateAsync(url);
        // The observer installed by ContentObserver noted performance.now() on the DOM change that added the content.
        var content = await tab.WaitForAsync($"(window.__idpSeen && window.__idpSeen[{JsonSerializer.Serialize(selector)}]) || null", $"{selector} on {url}");
        var phases = (await tab.EvaluateAsync("""
            (() => {
              const n = performance.getEntriesByType('navigation')[0];
              return [n.requestStart, n.responseEnd, n.domInteractive, n.domContentLoadedEventEnd, n.loadEventEnd];
            })()
            """)).EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return new Sample(phases[^1], content.GetDouble(), phases);
    }

    /// <summary>
    /// With <c>--trace</c>: one cold and one warm load as the page's own Navigation and Resource Timing saw them (all
    /// from navigation start): the document's milestones, then every request with when it started and ended (a
    /// cross-origin call's time includes its CORS preflight).
    /// </summary>
    private static async Task TraceAsync(HeadlessChromium browser, string signIn, string url, string selector)
    {
        await using var tab = await browser.OpenTabAsync(signIn);
        foreach (var mode in new[] { "cold", "warm" })
        {
            var content = (await LoadAsync(tab, url, selector)).Content;
            var timing = await tab.EvaluateAsync("""
                (() => {
                  const n = performance.getEntriesByType('navigation')[0];
                  return {
                    milestones: [['document received', n.responseEnd], ['DOM interactive', n.domInteractive],
                                 ['DOMContentLoaded done', n.domContentLoadedEventEnd], ['load event', n.loadEventEnd]],
                    resources: performance.getEntriesByType('resource').map(r => [r.startTime, r.responseEnd, r.initiatorType, r.name]),
                  };
                })()
                """);
            Console.WriteLine($"one {mode} load of {url} (ms from navigation start):");
            foreach (var m in timing.GetProperty("milestones").EnumerateArray())
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {m[1].GetDouble(),7:F1}  {m[0].GetString()}"));
            }

            foreach (var r in timing.GetProperty("resources").EnumerateArray().OrderBy(r => r[0].GetDouble()))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {r[0].GetDouble(),7:F1} → {r[1].GetDouble(),7:F1}  {r[2].GetString(),-6} {r[3].GetString()}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {content,7:F1}  content on screen"));
        }
    }

    /// <summary>
    /// With <c>--profile</c>: V8's sampling profile (0.2 ms) of one cold load, from navigation until the content is on
    /// screen, written as a .cpuprofile (open it in Chromium's DevTools, Performance panel).
    /// </summary>
    private static async Task ProfileAsync(HeadlessChromium browser, string signIn, string url, string selector, string name)
    {
        await using var tab = await browser.OpenTabAsync(signIn);
        await tab.SendAsync("Profiler.enable");
        await tab.SendAsync("Profiler.setSamplingInterval", new { interval = 200 });
        await tab.SendAsync("Profiler.start");
        var sample = await LoadAsync(tab, url, selector);
        var profile = (await tab.SendAsync("Profiler.stop")).GetProperty("profile");
        var file = Path.Combine(Path.GetTempPath(), $"idp-page-load-{name.Replace('/', '-')}.cpuprofile");
        await File.WriteAllTextAsync(file, profile.GetRawText());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one profiled cold load of {url}: load {sample.Load:F1} ms, content {sample.Content:F1} ms → {file}"));
    }

    /// <summary>
    /// With <c>--timeline</c>: a Chromium trace of one cold load (every task on every thread: parsing, compiling,
    /// script, style, layout, paint, network), written as JSON to open in Chromium's DevTools, Performance panel.
    /// </summary>
    private static async Task TimelineAsync(HeadlessChromium browser, string signIn, string url, string selector, string name)
    {
        await using var tab = await browser.OpenTabAsync(signIn);
        var file = Path.Combine(Path.GetTempPath(), $"idp-page-load-{name.Replace('/', '-')}.trace.json");
        Sample sample = default!;
        await tab.RecordTraceAsync(file, async () => sample = await LoadAsync(tab, url, selector));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one traced cold load of {url}: load {sample.Load:F1} ms, content {sample.Content:F1} ms → {file}"));
    }

    /// <summary>
    /// Waits (at most 90 s) until the app and Azurite have both used under 10 % of a core for two half-second windows
    /// in a row: the app keeps loading the rest of the demo data (catalog, TechDocs, templates) and JIT-compiling for
    /// a while after the first entity answers, and loads measured during that would time the start-up, not the page.
    /// </summary>
    private static async Task SettleAsync(Process app, AzuriteProcess azurite)
    {
        var watch = Stopwatch.StartNew();
        var quiet = 0;
        app.Refresh();
        var (appCpu, azuriteCpu) = (app.TotalProcessorTime, azurite.CpuTime);
        while (quiet < 2 && watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(500);
            app.Refresh();
            var (nowApp, nowAzurite) = (app.TotalProcessorTime, azurite.CpuTime);
            var busiest = Math.Max((nowApp - appCpu).TotalMilliseconds, (nowAzurite - azuriteCpu).TotalMilliseconds) / 500;
            quiet = busiest < 0.10 ? quiet + 1 : 0;
            (appCpu, azuriteCpu) = (nowApp, nowAzurite);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"app and Azurite {(quiet >= 2 ? "settled" : "still busy")} after {watch.Elapsed.TotalSeconds:F1} s (measuring from here)"));
    }

    /// <summary>One load: its load event and when its content appeared, and the navigation phases, all in ms from navigation start.</summary>
    private sealed record Sample(double Load, double Content, double[] Phases);

    private static void PrintPhases(string page, List<Sample> samples)
    {
        string[] names = ["request sent", "document in", "DOM interactive", "DOMContentLoaded", "load"];
        for (var i = 0; i < names.Length; i++)
        {
            var v = samples.Select(s => s.Phases[i]).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {page,-8} {names[i],-18} p50 {Pct(v, 0.5),7:F1}  p95 {Pct(v, 0.95),7:F1}  max {v[^1],7:F1}"));
        }
    }

    private static void Print(string page, string mode, List<Sample> samples)
    {
        var load = samples.Select(s => s.Load).Order().ToArray();
        var content = samples.Select(s => s.Content).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{page,-8} {mode,-5} {Pct(load, 0.50),9:F1} {Pct(load, 0.95),9:F1} {Pct(content, 0.50),12:F1} {Pct(content, 0.95),12:F1}"));
    }

    private static double Pct(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>The scripts and styles index.html loads before anything else (entry, module preloads, CSS).</summary>
    private static void PrintBundle(string dist)
    {
        var html = File.ReadAllText(Path.Combine(dist, "index.html"));
        var assets = InitialAsset().Matches(html).Select(m => m.Groups["u"].Value).Distinct().ToList();
        long raw = 0, gz = 0;
        Console.WriteLine("initial bundle (what index.html loads):");
        foreach (var asset in assets)
        {
            var bytes = File.ReadAllBytes(Path.Combine(dist, asset.TrimStart('/')));
            using var buffer = new MemoryStream();
            using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(bytes);
            }

            raw += bytes.Length;
            gz += buffer.Length;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {asset,-40} {bytes.Length / 1024.0,8:F1} KB  {buffer.Length / 1024.0,7:F1} KB gzip"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"total",-40} {raw / 1024.0,8:F1} KB  {gz / 1024.0,7:F1} KB gzip"));
    }


    private static Process StartStaticServer(string root, string dist, int apiPort, out Uri webBase)
    {
        var psi = new ProcessStartInfo("node")
        {
            ArgumentList = { "serve.mjs", "--port", "0", "--api", $"http://127.0.0.1:{apiPort}", "--dir", dist },
            WorkingDirectory = Path.Combine(root, "static-web"),
        };
        var (process, url) = AnnouncingProcess.Start(psi, Listening());
        webBase = url.WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        return process;
    }

    private static Process StartApp(string dll, string storage, int port, string dataDir, Uri[] webBases) =>
        LocalDemoApp.Start(dll, storage, port, dataDir, new Dictionary<string, string>
        {
            ["IDP_CORS_ORIGINS"] = string.Join(',', webBases.Select(b => b.GetLeftPart(UriPartial.Authority))),
        });

    private static async Task<T> Until<T>(Func<Task<T?>> probe, string what)
        where T : struct
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (HttpRequestException)
            {
                // The app is not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"timed out waiting for {what}");
    }


    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    [GeneratedRegex("""(?:<script[^>]*\bsrc="(?<u>[^"]+)"|<link[^>]*rel="(?:modulepreload|stylesheet)"[^>]*href="(?<u>[^"]+)")""")]
    private static partial Regex InitialAsset();
}
