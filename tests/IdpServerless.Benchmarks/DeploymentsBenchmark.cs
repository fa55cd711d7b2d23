using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Infrastructure;
using IdpServerless.Hosting.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Benchmarks;

/// <summary>
/// <c>deployments [--triggers N] [--concurrency C]</c>: the real app in-process on Kestrel (engine, local git, simulated
/// clusters) against a fresh Azurite. Measures <c>POST /api/deployments</c> latency (validation + lock + record +
/// enqueue-start) and the time from the trigger to its first GitOps commit (the orchestration picking the work up,
/// reading desired state and committing), one at a time and then under concurrent triggers. The catalog and the access
/// policy are replaced by fixed in-process ones so only deployments are measured.
/// </summary>
public static class DeploymentsBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var triggers = Option(args, "--triggers", 200);
        var concurrency = Option(args, "--concurrency", 8);
        var dataDir = Directory.CreateTempSubdirectory("idp-deploy-bench-").FullName;
        await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(30));
        var port = BenchmarkArgs.FreePort();
        // A local.settings.json left in the repository by the run command would point storage at the default Azurite.
        Environment.SetEnvironmentVariable("IDP_LOCAL_SETTINGS", "/nonexistent/local.settings.json");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["IDP_MODE"] = "local",
            ["IDP_DATA_DIR"] = dataDir,
            ["Durable:PartitionCount"] = "4",
            ["Durable:MaxQueuePollingInterval"] = "00:00:00.200",
            ["Dispatch:MaxPollingInterval"] = "00:00:00.200",
            ["Deployments:PollInterval"] = "00:00:00.200",
            ["Clusters:ConvergenceTime"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
            ["IDP_RATE_LIMIT_PER_IDENTITY"] = "0",
            ["IDP_RATE_LIMIT_PER_ADDRESS"] = "0",
        });
        AppComposition.AddServices(builder);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var commits = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        builder.Services.RemoveAll<IComponentLookup>();
        builder.Services.AddSingleton<IComponentLookup, BenchComponents>();
        builder.Services.RemoveAll<IAccessPolicy>();
        builder.Services.AddSingleton<IAccessPolicy, AllowAll>();
        builder.Services.RemoveAll<ICatalogDirectory>();
        builder.Services.AddSingleton<ICatalogDirectory, BenchDirectory>();
        var git = builder.Services.Last(d => d.ServiceType == typeof(IGitProvider));
        builder.Services.Remove(git);
        builder.Services.AddSingleton<IGitProvider>(sp => new RecordingGit((IGitProvider)ActivatorUtilities.CreateInstance(sp, git.ImplementationType!), commits));
        await using var app = builder.Build();
        AppComposition.MapEndpoints(app);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        using (var token = await http.PostAsJsonAsync("/api/auth/dev-token", new { user = BenchDirectory.User.Ref }))
        {
            var body = await token.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
        }

        using var stalls = new EmulatorStalls(azurite.Account.TableEndpoint);
        Console.WriteLine($"deployments: {triggers} triggers, concurrency {concurrency}, {Environment.ProcessorCount} cores, Azurite in memory");
        foreach (var warm in await Phase(http, commits, stalls, "warm-up", 10, 1, quiet: true))
        {
            await WaitFinishedAsync(http, warm); // the idle phase starts with nothing else running
        }

        await Phase(http, commits, stalls, "idle", Math.Max(20, triggers / 4), 1, quiet: false, idle: true);
        await Phase(http, commits, stalls, "back to back", Math.Max(20, triggers / 4), 1, quiet: false);
        await Phase(http, commits, stalls, $"{concurrency} concurrent", triggers, concurrency, quiet: false);
        await app.StopAsync();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS.
        }

        return 0;
    }

    /// <summary>
    /// One phase. <paramref name="idle"/>: every trigger redeploys the same component once its previous deployment has
    /// finished and the app has had <see cref="ThinkTime"/> to settle: a person pressing Deploy on a portal that is
    /// doing nothing else. Otherwise each trigger names a new component and goes as soon as the previous one's first
    /// commit landed, so earlier deployments are still syncing, polling health and notifying around it.
    /// </summary>
    private static async Task<IReadOnlyCollection<string>> Phase(HttpClient http, ConcurrentDictionary<string, long> commits, EmulatorStalls stalls, string name, int count, int concurrency, bool quiet, bool idle = false)
    {
        stalls.Reset();
        var trigger = new ConcurrentBag<double>();
        var firstCommit = new ConcurrentBag<double>();
        var ids = new ConcurrentBag<string>();
        var next = -1;
        var prefix = $"bench-{Guid.NewGuid().ToString("N")[..6]}";
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i < count)
            {
                var started = Stopwatch.GetTimestamp();
                var body = idle ? new { component = prefix, environment = "dev", version = $"1.0.{i}" } : new { component = $"{prefix}-{i}", environment = "dev", version = "1.0.0" };
                // Sent with a Content-Length, as browsers and chat/webhook relays do (JsonContent would stream it chunked).
                using var content = new ByteArrayContent(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(body));
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync("/api/deployments", content);
                trigger.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    throw new InvalidOperationException($"trigger answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }

                var id = (await response.Content.ReadFromJsonAsync<AcceptedBody>())!.Id;
                ids.Add(id);
                var deadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
                long committedAt;
                while (!commits.TryGetValue(id, out committedAt))
                {
                    if (Stopwatch.GetTimestamp() > deadline)
                    {
                        throw new TimeoutException($"no commit for {id} within 60 s");
                    }

                    await Task.Delay(2);
                }

                firstCommit.Add(Stopwatch.GetElapsedTime(started, committedAt).TotalMilliseconds);
                if (idle)
                {
                    await WaitFinishedAsync(http, id);
                    await Task.Delay(ThinkTime);
                }
            }
        }));
        if (!quiet)
        {
            Console.WriteLine($"{name,-16} triggers {count,5} in {watch.Elapsed.TotalSeconds,6:0.0} s | trigger p50 {P(trigger, 0.5),7:0.0} ms p95 {P(trigger, 0.95),7:0.0} ms p99 {P(trigger, 0.99),7:0.0} ms max {trigger.Max(),7:0.0} ms | trigger→first commit p50 {P(firstCommit, 0.5),7:0.0} ms p95 {P(firstCommit, 0.95),7:0.0} ms");
            if (stalls.Count > 0)
            {
                Console.WriteLine($"{"",-16} Azurite itself stalled {stalls.Count} time(s) in this phase, longest {stalls.Longest.TotalMilliseconds:0} ms (a probe request to the emulator, outside the app, waited that long)");
            }
        }

        return ids;
    }

    /// <summary>
    /// Asks Azurite for its table list every 20 ms from a thread of its own and counts answers slower than 150 ms: when
    /// a trigger's outlier coincides with one, the emulator paused (it is one Node.js process holding every table and
    /// queue in memory), not the app.
    /// </summary>
    private sealed class EmulatorStalls : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;
        private int _count;
        private long _longestTicks;

        public EmulatorStalls(Uri tableEndpoint)
        {
            var probe = new Uri(tableEndpoint.ToString().TrimEnd('/') + "/Tables");
            _thread = new Thread(() =>
            {
                using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
                while (!_stop.IsCancellationRequested)
                {
                    _stop.Token.WaitHandle.WaitOne(20);
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Get, probe);
                        client.Send(request, _stop.Token).Dispose();
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                    {
                        continue;
                    }

                    var took = Stopwatch.GetElapsedTime(started);
                    if (took > TimeSpan.FromMilliseconds(150))
                    {
                        Interlocked.Increment(ref _count);
                        long seen;
                        while ((seen = Interlocked.Read(ref _longestTicks)) < took.Ticks && Interlocked.CompareExchange(ref _longestTicks, took.Ticks, seen) != seen)
                        {
                        }
                    }
                }
            }) { IsBackground = true, Name = "azurite-probe" };
            _thread.Start();
        }

        public int Count => Volatile.Read(ref _count);

        public TimeSpan Longest => TimeSpan.FromTicks(Interlocked.Read(ref _longestTicks));

        public void Reset()
        {
            Interlocked.Exchange(ref _count, 0);
            Interlocked.Exchange(ref _longestTicks, 0);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _thread.Join(TimeSpan.FromSeconds(5));
            _stop.Dispose();
        }
    }

    /// <summary>Time between one deployment finishing and the next trigger in the idle phase.</summary>
    private static readonly TimeSpan ThinkTime = TimeSpan.FromMilliseconds(500);

    private static async Task WaitFinishedAsync(HttpClient http, string id)
    {
        var deadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        while (true)
        {
            var record = await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/deployments/{id}");
            var status = record.GetProperty("status").GetString() ?? string.Empty;
            if (DeploymentStatuses.IsFinished(status))
            {
                if (status != DeploymentStatuses.Succeeded)
                {
                    throw new InvalidOperationException($"{id} ended {status}: {record.GetProperty("message")}");
                }

                return;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{id} did not finish within 60 s (status {status})");
            }

            await Task.Delay(20);
        }
    }

    private static double P(IEnumerable<double> samples, double p)
    {
        var all = samples.Order().ToArray();
        return all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)];
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }


    private sealed class BenchComponents : IComponentLookup
    {
        public ValueTask<ComponentInfo?> FindAsync(string componentRef, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ComponentInfo?>(new ComponentInfo(componentRef, "group:default/bench", new Dictionary<string, string> { ["idp.dev/environments"] = "dev" }));
    }

    /// <summary>The one benchmark user the local dev issuer signs in.</summary>
    private sealed class BenchDirectory : ICatalogDirectory
    {
        public static readonly DirectoryUser User = new("user:default/bench", "Bench", "bench@example.com", ["group:default/bench"], new Dictionary<string, string>());

        public ValueTask<DirectoryUser?> GetUserAsync(string userRef, CancellationToken cancellationToken) => ValueTask.FromResult(userRef == User.Ref ? User : null);

        public ValueTask<DirectoryUser?> FindUserAsync(string? annotation, string value, CancellationToken cancellationToken) =>
            ValueTask.FromResult(annotation is null && value == User.Email ? User : null);

        public ValueTask<IReadOnlyList<string>> GetOwnersAsync(string entityRef, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<string>>(["group:default/bench"]);

        public ValueTask<IReadOnlyList<DirectoryUser>> ListUsersAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<DirectoryUser>>([User]);
    }

    private sealed class AllowAll : IAccessPolicy
    {
        public ValueTask<AccessDecision> DecideAsync(Caller caller, string permission, AccessResource? resource, CancellationToken cancellationToken) =>
            ValueTask.FromResult(AccessDecision.Allow(permission));
    }

    /// <summary>Notes when each deployment's first commit returned.</summary>
    private sealed class RecordingGit(IGitProvider inner, ConcurrentDictionary<string, long> commits) : IGitProvider
    {
        public async Task<GitCommit> CommitAsync(RepoRef repo, string branch, IReadOnlyList<GitChange> changes, string message, GitAuthor author, string? expectedHead, CancellationToken cancellationToken)
        {
            var commit = await inner.CommitAsync(repo, branch, changes, message, author, expectedHead, cancellationToken);
            var marker = $"{GitOpsWriter.DeploymentTrailer}: ";
            var at = message.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                commits.TryAdd(message[(at + marker.Length)..].Split('\n')[0].Trim(), Stopwatch.GetTimestamp());
            }

            return commit;
        }

        public Task<GitRepository> CreateRepositoryAsync(RepoRef repo, string? description, CancellationToken cancellationToken) => inner.CreateRepositoryAsync(repo, description, cancellationToken);

        public Task<GitRepository?> GetRepositoryAsync(RepoRef repo, CancellationToken cancellationToken) => inner.GetRepositoryAsync(repo, cancellationToken);

        public Task<IReadOnlyList<GitRepository>> ListRepositoriesAsync(string? owner, int max, CancellationToken cancellationToken) => inner.ListRepositoriesAsync(owner, max, cancellationToken);

        public Task<byte[]?> ReadFileAsync(RepoRef repo, string path, string? gitRef, CancellationToken cancellationToken) => inner.ReadFileAsync(repo, path, gitRef, cancellationToken);

        public Task<IReadOnlyList<string>> ListFilesAsync(RepoRef repo, string? prefix, string? gitRef, CancellationToken cancellationToken) => inner.ListFilesAsync(repo, prefix, gitRef, cancellationToken);

        public Task<string?> GetHeadAsync(RepoRef repo, string branch, CancellationToken cancellationToken) => inner.GetHeadAsync(repo, branch, cancellationToken);

        public Task<IReadOnlyList<GitCommit>> LogAsync(RepoRef repo, string branch, string? path, int max, CancellationToken cancellationToken) => inner.LogAsync(repo, branch, path, max, cancellationToken);

        public Task<GitCommit?> FindCommitByTrailerAsync(RepoRef repo, string branch, string key, string value, int searchDepth, CancellationToken cancellationToken) =>
            inner.FindCommitByTrailerAsync(repo, branch, key, value, searchDepth, cancellationToken);

        public Task<GitCommit?> GetCommitAsync(RepoRef repo, string sha, CancellationToken cancellationToken) => inner.GetCommitAsync(repo, sha, cancellationToken);
    }
}
