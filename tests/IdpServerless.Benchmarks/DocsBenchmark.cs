using System.Text;
using IdpServerless.Functions.Docs;
using IdpServerless.Functions.Docs.Rendering;
using IdpServerless.Functions.Docs.Search;

namespace IdpServerless.Benchmarks;

/// <summary>
/// TechDocs: Markdown rendering (parse, rewrite, sanitize) of a typical page, and search latency over an in-memory
/// index of many built pages (prefix queries of one and two words) under concurrency.
/// Options: <c>--sites N</c> (default 2000, 5 pages each), <c>--seconds S</c> per phase (default 5), <c>--concurrency C</c> (default 2).
/// </summary>
public static class DocsBenchmark
{
    private static readonly string[] Words =
    [
        "payment", "ledger", "checkout", "restart", "rollback", "deploy", "queue", "cluster", "latency", "database", "refund",
        "token", "service", "incident", "capture", "authorize", "canary", "metrics", "storage", "catalog", "template", "release",
        "gateway", "schema", "migration", "backup", "alert", "dashboard", "runbook", "owner", "secret", "network", "cache",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var sites = Option(args, "--sites", 2000);
        var seconds = Option(args, "--seconds", 5);
        var concurrency = Option(args, "--concurrency", 2);
        var markdown = SamplePage(new Random(1));
        var context = new RenderContext("guides/setup.md", "/catalog/component/default/x?tab=docs&doc=", "/api/docs/component/default/x/asset?path=");

        var render = await LatencyRecorder.RunAsync("render page", concurrency, TimeSpan.FromSeconds(seconds), (_, _) =>
        {
            _ = MarkdownRenderer.Render(markdown, context);
            return Task.FromResult(1);
        });

        var index = new DocsSearchIndex();
        var random = new Random(2);
        var at = DateTimeOffset.UtcNow;
        var load = System.Diagnostics.Stopwatch.StartNew();
        for (var s = 0; s < sites; s++)
        {
            var entityRef = $"component:default/service-{s}";
            var pages = Enumerable.Range(0, 5).Select(p => ($"page-{p}.md", Page(random, at))).ToList();
            index.Put(new DocsSite(entityRef, "site", at, null, "f", "bench", [.. pages.Select(p => new DocPageRef(p.Item1, p.Item2.Title))], [.. pages.Select(p => p.Item1)], []), "e", pages);
        }

        load.Stop();
        var queries = Words.Select(w => w[..4]).Concat(Words.Zip(Words.Skip(3), (a, b) => $"{a} {b[..3]}")).ToArray();
        var search = await LatencyRecorder.RunAsync("search", concurrency, TimeSpan.FromSeconds(seconds), (w, i) =>
            Task.FromResult(index.Search(queries[(int)((w * 7919 + i) % queries.Length)], null, 20).Count > 0 ? 1 : 0));

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; markdown page {markdown.Length} chars; index {sites} sites x 5 pages loaded in {load.Elapsed.TotalMilliseconds:0} ms");
        foreach (var r in new[] { render, search })
        {
            Console.WriteLine($"{r.Name,-12} ops={r.Operations,8} ops/s={r.Operations / r.Elapsed.TotalSeconds,10:0} p50={r.P50Ms:0.000} ms p95={r.P95Ms:0.000} ms p99={r.P99Ms:0.000} ms (concurrency {concurrency})");
        }

        return 0;
    }

    private static DocPage Page(Random random, DateTimeOffset at)
    {
        // Real words are rare (about 1 in 40), the rest come from a skewed 20,000-word vocabulary, so a query matches a
        // realistic share of pages instead of all of them.
        string Word() => random.Next(40) == 0 ? Words[random.Next(Words.Length)] : "w" + (int)(20_000 * Math.Pow(random.NextDouble(), 2));
        string Sentence(int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => Word()));
        return new DocPage(Sentence(3), string.Empty, [new TocEntry("a", Sentence(3), 2), new TocEntry("b", Sentence(3), 2)], "docs/x.md", at, null, Sentence(400));
    }

    private static string SamplePage(Random random)
    {
        var sb = new StringBuilder("# Runbook\n\n");
        for (var section = 0; section < 8; section++)
        {
            sb.Append("## Section ").Append(section).Append("\n\n");
            sb.Append(string.Join(' ', Enumerable.Range(0, 80).Select(_ => Words[random.Next(Words.Length)]))).Append(" [link](../other.md#x) and `code`.\n\n");
            sb.Append("| a | b |\n|---|---|\n| 1 | 2 |\n\n- item one\n- item **two**\n\n```bash\nkubectl rollout restart deploy/x\n```\n\n![img](img/a.png)\n\n");
        }

        return sb.ToString();
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out var v) && v > 0 ? v : fallback;
    }
}
