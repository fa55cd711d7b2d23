using System.Globalization;
using System.Text;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Git.Local;
using Microsoft.Extensions.Logging.Abstractions;

namespace IdpServerless.Benchmarks;

/// <summary>
/// <c>git [--seconds N] [--writers N]</c>: the local git provider (bare repositories via the git CLI) in a temp folder:
/// single-writer commits, contended commits on one branch with retry loops, commits on separate repositories, file
/// reads, and trailer lookups (the idempotency check every GitOps activity makes) 500 commits deep.
/// </summary>
public static class GitBenchmark
{
    private static readonly GitAuthor Author = new("Bench", "bench@example.com");

    public static async Task<int> RunAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(Option(args, "--seconds", 10));
        var writers = Option(args, "--writers", 8);
        var dataDir = Directory.CreateTempSubdirectory("idp-git-bench-").FullName;
        try
        {
            var git = new LocalGitProvider(new GitOptions { DataDir = dataDir }, TimeProvider.System, NullLogger<LocalGitProvider>.Instance);
            var results = new List<LatencyRecorder.Result>();
            var ct = CancellationToken.None;

            var solo = new RepoRef("bench", "solo");
            await git.CreateRepositoryAsync(solo, null, ct);
            string? head = null;
            results.Add(await LatencyRecorder.RunAsync("commit, 1 writer, 2 files", 1, duration, async (_, i) =>
            {
                var c = await git.CommitAsync(solo, "main",
                    [new("values.yaml", Bytes($"tag: {i}")), new($"history/{i % 200}.txt", Bytes(i.ToString(CultureInfo.InvariantCulture)))],
                    $"Deploy {i}\n\nIdp-Step: step-{i}", Author, head, ct);
                head = c.Sha;
                return 1;
            }));

            var shared = new RepoRef("bench", "shared");
            await git.CreateRepositoryAsync(shared, null, ct);
            long conflicts = 0;
            results.Add(await LatencyRecorder.RunAsync($"commit, {writers} writers on one branch (CAS + retry)", writers, duration, async (w, i) =>
            {
                while (true)
                {
                    var h = await git.GetHeadAsync(shared, "main", ct);
                    try
                    {
                        await git.CommitAsync(shared, "main", [new($"w{w}/{i}.txt", Bytes("x"))], $"w{w} {i}", Author, h, ct);
                        return 1;
                    }
                    catch (GitConflictException)
                    {
                        Interlocked.Increment(ref conflicts);
                    }
                }
            }));
            var sharedCommits = (await git.LogAsync(shared, "main", null, 1_000_000, ct)).Count - 1;

            var own = Enumerable.Range(0, writers).Select(w => new RepoRef("bench", $"own-{w}")).ToList();
            foreach (var r in own)
            {
                await git.CreateRepositoryAsync(r, null, ct);
            }

            results.Add(await LatencyRecorder.RunAsync($"commit, {writers} writers on {writers} repositories", writers, duration, async (w, i) =>
            {
                await git.CommitAsync(own[w], "main", [new($"f/{i}.txt", Bytes("x"))], $"{i}", Author, null, ct);
                return 1;
            }));

            results.Add(await LatencyRecorder.RunAsync($"read file at main (concurrency {writers})", writers, duration, async (_, _) =>
                await git.ReadFileAsync(solo, "values.yaml", "main", ct) is null ? throw new InvalidOperationException("missing") : 1));

            // The trailer lookups search a full 500 commits whatever the commit phase reached, so runs compare.
            var depth = (await git.LogAsync(solo, "main", null, 1_000_000, ct)).Count;
            for (; depth < 520; depth++)
            {
                var i = (int)results[0].Operations + depth;
                head = (await git.CommitAsync(solo, "main", [new("values.yaml", Bytes($"tag: {i}"))], $"Deploy {i}\n\nIdp-Step: step-{i}", Author, head, ct)).Sha;
            }

            var middle = 250; // commits from the tip
            results.Add(await LatencyRecorder.RunAsync($"trailer found ~{middle} deep of {depth} (depth 500)", 1, duration, async (_, _) =>
                await git.FindCommitByTrailerAsync(solo, "main", "Idp-Step", $"step-{depth - 2 - middle}", 500, ct) is null ? throw new InvalidOperationException("not found") : 1));
            results.Add(await LatencyRecorder.RunAsync("trailer absent (depth 500)", 1, duration, async (_, _) =>
                await git.FindCommitByTrailerAsync(solo, "main", "Idp-Step", "never", 500, ct) is null ? 1 : throw new InvalidOperationException("found")));

            Console.WriteLine($"machine: {Environment.ProcessorCount} cores; date {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; duration {duration.TotalSeconds:0} s per phase");
            Console.WriteLine("| benchmark | ops/s | ops | p50 ms | p95 ms | p99 ms |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            foreach (var r in results)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Name} | {r.UnitsPerSecond:0.0} | {r.Operations} | {r.P50Ms:0.00} | {r.P95Ms:0.00} | {r.P99Ms:0.00} |"));
            }

            Console.WriteLine($"contended: {conflicts} conflicts retried; {sharedCommits} commits on the shared branch (every successful commit present: {sharedCommits == results[1].Operations})");
            return sharedCommits == results[1].Operations ? 0 : 1;
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
