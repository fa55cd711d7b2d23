using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace IdpServerless.Benchmarks;

/// <summary>
/// Page loads of the browser app in Debian's Chromium, against the real function app (Release build, local mode, demo
/// data) on Azurite and the app's own static server. For the catalog and an entity page it measures, cold (a new
/// browser context each time: empty HTTP cache) and warm (the same context, cache filled), the navigation timing
/// (<c>loadEventEnd</c>) and the time until the page's content is on screen (the first catalog row, the entity's
/// title), and prints p50/p95. It also prints the initial JavaScript and CSS that index.html loads, raw and gzip.
/// Needs <c>dotnet build functions/IdpServerless.Functions -c Release</c> and <c>npm run build</c> in static-web.
/// Options: <c>--runs N</c> (default 20 per page and mode), <c>--trace</c> (list the requests of one cold and one warm load).
/// </summary>
public static partial class PageLoadBenchmark
{
    private sealed record PageSpec(string Name, string Path, string ContentSelector);

    private static readonly PageSpec[] Pages =
    [
        new("catalog", "/catalog", "[data-testid^='entity-row-']"),
        new("entity", "/catalog/component/default/payments-service", "[data-testid='entity-title']"),
        // Not a page of the app: a cold load of the static server's 60-byte /config.json, the floor this machine's
        // Chromium sets for any cold load (new context, new renderer process, one request), to read the others against.
        new("floor", "/config.json", "body"),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.Length >= 2 && args[0] == "--runs" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        var trace = args.Contains("--trace");
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
        var apiPort = FreePort();
        using var web = StartStaticServer(root, apiPort, out var webBase);
        using var app = StartApp(dll, azurite.ConnectionString, apiPort, dataDir, webBase);
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

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });

            Console.WriteLine($"page loads in Chromium, {runs} runs per page and mode (ms; 'content' = first catalog row / entity title on screen)");
            Console.WriteLine($"{"page",-8} {"mode",-5} {"load p50",9} {"load p95",9} {"content p50",12} {"content p95",12}");
            // One unmeasured load of each page first, so the backend's own first-call costs (JIT, caches) are not in the figures.
            foreach (var spec in Pages)
            {
                await using var warmup = await browser.NewContextAsync();
                await warmup.AddInitScriptAsync(signIn);
                await LoadAsync(await warmup.NewPageAsync(), new Uri(webBase, spec.Path).ToString(), spec.ContentSelector);
            }

            // Cold loads alternate between the pages, so neither gets the early (or late) minutes of the run to itself.
            var cold = Pages.ToDictionary(p => p.Name, _ => new List<(double Load, double Content)>());
            for (var i = 0; i < runs; i++)
            {
                foreach (var spec in Pages)
                {
                    await using var context = await browser.NewContextAsync();
                    await context.AddInitScriptAsync(signIn);
                    cold[spec.Name].Add(await LoadAsync(await context.NewPageAsync(), new Uri(webBase, spec.Path).ToString(), spec.ContentSelector));
                }
            }

            foreach (var spec in Pages)
            {
                var url = new Uri(webBase, spec.Path).ToString();
                var warm = new List<(double Load, double Content)>();
                await using (var context = await browser.NewContextAsync())
                {
                    await context.AddInitScriptAsync(signIn);
                    var page = await context.NewPageAsync();
                    await LoadAsync(page, url, spec.ContentSelector);
                    for (var i = 0; i < runs; i++)
                    {
                        warm.Add(await LoadAsync(page, url, spec.ContentSelector));
                    }
                }

                Print(spec.Name, "cold", cold[spec.Name]);
                Print(spec.Name, "warm", warm);
                if (trace)
                {
                    await TraceAsync(browser, signIn, url, spec.ContentSelector);
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

            if (!web.HasExited)
            {
                web.Kill(entireProcessTree: true);
                await web.WaitForExitAsync();
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
    private static async Task<(double Load, double Content)> LoadAsync(IPage page, string url, string selector)
    {
        await page.GotoAsync(url, new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = 60_000 });
        // The observer installed by ContentObserver noted performance.now() on the DOM change that added the content.
        var content = await page.WaitForFunctionAsync(
            "s => (window.__idpSeen && window.__idpSeen[s]) || null", selector,
            new PageWaitForFunctionOptions { PollingInterval = 20, Timeout = 60_000 });
        var contentMs = await content.JsonValueAsync<double>();
        var loadMs = await page.EvaluateAsync<double>("() => performance.getEntriesByType('navigation')[0].loadEventEnd");
        return (loadMs, contentMs);
    }

    /// <summary>
    /// With <c>--trace</c>: one cold and one warm load as the page's own Navigation and Resource Timing saw them (all
    /// from navigation start): the document's milestones, then every request with when it started and ended (a
    /// cross-origin call's time includes its CORS preflight).
    /// </summary>
    private static async Task TraceAsync(IBrowser browser, string signIn, string url, string selector)
    {
        await using var context = await browser.NewContextAsync();
        await context.AddInitScriptAsync(signIn);
        var page = await context.NewPageAsync();
        foreach (var mode in new[] { "cold", "warm" })
        {
            var (_, content) = await LoadAsync(page, url, selector);
            var timing = await page.EvaluateAsync<JsonElement>("""
                () => {
                  const n = performance.getEntriesByType('navigation')[0];
                  return {
                    milestones: [['document received', n.responseEnd], ['DOM interactive', n.domInteractive],
                                 ['DOMContentLoaded done', n.domContentLoadedEventEnd], ['load event', n.loadEventEnd]],
                    resources: performance.getEntriesByType('resource').map(r => [r.startTime, r.responseEnd, r.initiatorType, r.name]),
                  };
                }
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

    private static void Print(string page, string mode, List<(double Load, double Content)> samples)
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

    private static Process StartStaticServer(string root, int apiPort, out Uri webBase)
    {
        var psi = new ProcessStartInfo("node")
        {
            ArgumentList = { "serve.mjs", "--port", "0", "--api", $"http://127.0.0.1:{apiPort}" },
            WorkingDirectory = Path.Combine(root, "static-web"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(psi)!;
        var url = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && Listening().Match(line) is { Success: true } m)
            {
                url.TrySetResult(new Uri(m.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        webBase = url.Task.WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        return process;
    }

    private static Process StartApp(string dll, string storage, int port, string dataDir, Uri webBase) =>
        LocalDemoApp.Start(dll, storage, port, dataDir, new Dictionary<string, string> { ["IDP_CORS_ORIGINS"] = webBase.GetLeftPart(UriPartial.Authority) });

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

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    [GeneratedRegex("""(?:<script[^>]*\bsrc="(?<u>[^"]+)"|<link[^>]*rel="(?:modulepreload|stylesheet)"[^>]*href="(?<u>[^"]+)")""")]
    private static partial Regex InitialAsset();
}
