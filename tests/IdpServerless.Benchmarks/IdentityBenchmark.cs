using System.Diagnostics;
using System.Globalization;
using IdpServerless.Functions.Audit;
using IdpServerless.Functions.Identity;
using IdpServerless.Functions.Identity.Authentication;
using IdpServerless.Functions.Identity.Rbac;
using IdpServerless.Functions.Secrets;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace IdpServerless.Benchmarks;

/// <summary>
/// <c>identity [--seconds N]</c>: the audit writer's durable appends at growing concurrency (group commit into the hash
/// chain on a private Azurite), the integrity check's verification rate, and the per-request cost of authorization
/// decisions and dev-issuer token validation.
/// </summary>
public static class IdentityBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(Option(args, "--seconds", 5));
        await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
        var storage = new StorageClient(azurite.Account, http);
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["IDP_AUDIT_TABLE"] = "benchaudit" }).Build();
        var store = new AuditChainStore(storage, config, new SecretResolver([], config, TimeProvider.System));
        var results = new List<(LatencyRecorder.Result Result, string Note)>();

        await using (var writer = new AuditChainWriter(store, TimeProvider.System, NullLogger<AuditChainWriter>.Instance))
        {
            var caller = new Caller("user:default/bench", "Bench", null, ["group:default/team-a"], Channels.Api, true);
            var detail = new Dictionary<string, string> { ["method"] = "POST", ["status"] = "202", ["environment"] = "prod" };
            Task<int> Append(int w, long i) => writer.RecordAsync(
                new AuditEvent("StartDeployment", "component:default/svc-" + (w % 50), AuditOutcomes.Success, caller, Guid.NewGuid().ToString("N"), "10.0.0.1", detail), default)
                .ContinueWith(t => t.IsCompletedSuccessfully ? 1 : throw t.Exception!, TaskScheduler.Default);
            await LatencyRecorder.RunAsync("warmup", 4, TimeSpan.FromSeconds(1), Append);
            foreach (var concurrency in new[] { 1, 16, 64, 256 })
            {
                results.Add((await LatencyRecorder.RunAsync($"audit append, {concurrency} concurrent callers", concurrency, duration, Append), "records/s durable"));
            }
        }

        var watch = Stopwatch.StartNew();
        var report = await new AuditIntegrity(store).CheckAsync(null, null, default);
        watch.Stop();
        Console.WriteLine($"integrity check: {report.CheckedRecords} records in {watch.Elapsed.TotalSeconds:F2} s ({report.CheckedRecords / watch.Elapsed.TotalSeconds:F0} records/s), intact={report.Intact}");

        // Decisions: bindings cached in memory, ownership from a small directory.
        var services = new ServiceCollection().AddSingleton<ICatalogDirectory>(new BenchDirectory()).BuildServiceProvider();
        var options = IdentityOptions.From(new ConfigurationBuilder().Build()) with { DevIssuerEnabled = true };
        var policy = new RbacAccessPolicy(new RoleBindingStore(storage, TimeProvider.System, config), options, new DirectoryAccessor(services));
        var dev = new Caller("user:default/dana", "Dana", null, ["group:default/team-a"], Channels.Api, true);
        var owned = new AccessResource("component:default/svc-a", "dev");
        var foreign = new AccessResource("component:default/svc-b", "prod");
        results.Add((await LatencyRecorder.RunAsync("authorization decision (owned, allowed)", 8, duration, async (_, _) =>
            (await policy.DecideAsync(dev, Permissions.DeploymentCreate, owned, default)).Allowed ? 1 : throw new InvalidOperationException("denied")), "decisions/s"));
        results.Add((await LatencyRecorder.RunAsync("authorization decision (other team, denied)", 8, duration, async (_, _) =>
            (await policy.DecideAsync(dev, Permissions.DeploymentCreate, foreign, default)).Allowed ? throw new InvalidOperationException("allowed") : 1), "decisions/s"));

        var issuer = new DevIssuer(options, TimeProvider.System, NullLogger<DevIssuer>.Instance);
        var token = issuer.Issue(new DirectoryUser("user:default/dana", "Dana", "dana@example.com", ["group:default/team-a"], new Dictionary<string, string>()));
        results.Add((await LatencyRecorder.RunAsync("bearer token validation (RS256)", 8, duration, async (_, _) =>
            (await issuer.ValidateAsync(token)).IsValid ? 1 : throw new InvalidOperationException("invalid")), "tokens/s"));

        Console.WriteLine("| benchmark | ops/s | ops | p50 ms | p95 ms | p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (r, note) in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Name} | {r.UnitsPerSecond:F0} {note} | {r.Operations} | {r.P50Ms:F3} | {r.P95Ms:F3} | {r.P99Ms:F3} |"));
        }

        return report.Intact ? 0 : 1;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed class BenchDirectory : ICatalogDirectory
    {
        public ValueTask<DirectoryUser?> GetUserAsync(string userRef, CancellationToken cancellationToken) => ValueTask.FromResult<DirectoryUser?>(null);

        public ValueTask<DirectoryUser?> FindUserAsync(string? annotation, string value, CancellationToken cancellationToken) => ValueTask.FromResult<DirectoryUser?>(null);

        public ValueTask<IReadOnlyList<string>> GetOwnersAsync(string entityRef, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<string>>([entityRef.EndsWith("-a", StringComparison.Ordinal) ? "group:default/team-a" : "group:default/team-b"]);

        public ValueTask<IReadOnlyList<DirectoryUser>> ListUsersAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<DirectoryUser>>([]);
    }
}
