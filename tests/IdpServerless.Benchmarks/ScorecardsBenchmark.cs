using System.Diagnostics;
using System.Globalization;
using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Ingestion;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Insights;
using IdpServerless.Functions.Insights.Scorecards;
using IdpServerless.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IdpServerless.Benchmarks;

/// <summary>
/// Scorecards over the generated 50,000-entity catalog (issue #20's goals: 10 rules over everything under 2 s, one
/// change re-evaluated under 50 ms): a 10-rule scorecard over every component, deployment history in a real Azurite
/// (5 finished deployments for every tenth component), full evaluations, single changes (the index write that raises
/// the change and the catch-up that re-evaluates), a finished deployment, the read paths, and one history snapshot.
/// Options: <c>--entities N</c> (default 50,000), <c>--changes N</c> (default 200).
/// </summary>
public static class ScorecardsBenchmark
{
    private const string TenRules = """
    {
      "filter": {"kind": "component"},
      "rules": [
        {"id": "owner", "type": "ownerExists"},
        {"id": "docs", "type": "techDocs"},
        {"id": "api", "type": "relation", "relation": "providesApi", "targetKind": "api", "targetsExist": true},
        {"id": "system", "type": "relation", "relation": "partOf", "targetKind": "system"},
        {"id": "lifecycle", "type": "field", "path": "spec.lifecycle", "values": ["production", "experimental"]},
        {"id": "slug", "type": "annotation", "key": "github.com/project-slug", "pattern": "^example/"},
        {"id": "envs", "type": "environments"},
        {"id": "canary", "type": "strategy", "strategy": "canary"},
        {"id": "recent", "type": "deployedRecently", "withinDays": 30},
        {"id": "cfr", "type": "changeFailRate", "max": 0.2}
      ],
      "levels": [
        {"name": "Bronze", "rules": ["owner", "docs", "lifecycle"]},
        {"name": "Silver", "rules": ["api", "system", "slug", "envs"]},
        {"name": "Gold", "rules": ["canary", "recent", "cfr"]}
      ]
    }
    """;

    public static async Task<int> RunAsync(string[] args)
    {
        var entities = Arg(args, "--entities", 50_000);
        var changes = Arg(args, "--changes", 200);
        var folder = Path.Combine(Path.GetTempPath(), "idp-scorecards-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient();
        try
        {
            var catalog = CatalogGenerator.Write(folder, entities);
            var options = Options.Create(new CatalogOptions { FileRoots = [folder] });
            var reader = new LocationReader(new NoHttp(), new EmptyServices(), options, new ConfigurationBuilder().Build());
            var result = await new LocationProcessor(reader, options).ProcessAsync(new LocationSpec(LocationSpec.File, catalog.RootFile), CancellationToken.None);
            var stored = result.Entities.Select(e => new StoredEntity(e.RefKey, Guid.NewGuid().ToString(), "etag", "loc", e.ParentRef, DateTimeOffset.UtcNow, e.Hash, EntityBody.WithIds(e.Json, Guid.NewGuid().ToString(), "etag"))).ToList();
            using var index = new CatalogIndex(options.Value);
            index.Apply(stored, []);
            index.MarkReady();
            var componentRefs = stored.Where(s => s.RefKey.StartsWith("component:", StringComparison.Ordinal)).Select(s => s.RefKey).ToList();

            var storage = new StorageClient(azurite.Account, http);
            var store = new DeploymentStore(storage, NullLogger<DeploymentStore>.Instance);
            var now = DateTimeOffset.UtcNow;
            var seeded = componentRefs.Where((_, i) => i % 10 == 0).ToList();
            var watch = Stopwatch.StartNew();
            await Parallel.ForEachAsync(seeded, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (c, ct) =>
            {
                for (var d = 0; d < 5; d++)
                {
                    var created = now.AddDays(-3 * (5 - d));
                    await store.SaveAsync(Record(c, d == 2 ? DeploymentStatuses.Failed : DeploymentStatuses.Succeeded, created), ct);
                }
            });
            Console.WriteLine($"{entities:N0} entities ({componentRefs.Count:N0} components); {seeded.Count * 5:N0} deployments of {seeded.Count:N0} components written in {watch.Elapsed.TotalSeconds:F1} s");

            var time = TimeProvider.System;
            var deliveries = new DeliveryHistoryCache(store, time);
            using var service = new ScorecardService(index, deliveries, Options.Create(new DeploymentOptions()), time);
            index.Apply([Scorecard("readiness", TenRules)], []);
            watch.Restart();
            var list = await service.ListAsync(CancellationToken.None);
            Console.WriteLine($"first read (delivery history load + full evaluation): {watch.Elapsed.TotalMilliseconds:F0} ms; {list[0].Summary.Entities:N0} entities: " +
                              string.Join(", ", list[0].Summary.Levels.Select(l => $"{l.Level} {l.Entities:N0}")) + $", none {list[0].Summary.NoLevel:N0}");

            Console.WriteLine("| operation | runs | p50 ms | p95 ms | p99 ms | max ms |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            await Time("full evaluation, 10 rules x every component", 5, null, () => service.EvaluateAllAsync(CancellationToken.None));

            var random = new Random(7);
            var bodies = stored.Where(s => s.RefKey.StartsWith("component:", StringComparison.Ordinal)).ToList();
            void ChangeOne() => index.Apply([bodies[random.Next(bodies.Count)] with { Etag = Guid.NewGuid().ToString("N") }], []);
            await Time("one component changed: index write incl. change event", changes, null, () =>
            {
                ChangeOne();
                return Task.FromResult(0L);
            }, after: () => service.CatchUpAsync(CancellationToken.None));
            var evaluationsBefore = service.Evaluations;
            await Time("one component changed: its re-evaluation (catch-up)", changes, ChangeOne, () => service.CatchUpAsync(CancellationToken.None));
            Console.WriteLine($"(each catch-up evaluated {(service.Evaluations - evaluationsBefore) / (double)changes:F1} entity results)");
            var team = catalog.Teams[3];
            var group = stored.First(s => s.RefKey == $"group:default/{team}");
            await Time($"one group changed: catch-up (its components re-read)", 50, () => index.Apply([group with { Etag = Guid.NewGuid().ToString("N") }], []), () => service.CatchUpAsync(CancellationToken.None));
            await Time("a deployment finished: save to Azurite + catch-up", 50, null, async () =>
            {
                await store.SaveAsync(Record(seeded[random.Next(seeded.Count)], DeploymentStatuses.Succeeded, DateTimeOffset.UtcNow.AddMinutes(-5)), CancellationToken.None);
                return await service.CatchUpAsync(CancellationToken.None);
            });
            await Time("read: list scorecards (organisation summary)", 50, null, async () => (await service.ListAsync(CancellationToken.None)).Count);
            await Time("read: one scorecard with every team", 20, null, async () => (await service.GetAsync("scorecard:default/readiness", CancellationToken.None)).Teams.Count);
            await Time("read: a team's scorecards", 200, null, async () => (await service.ForTeamAsync($"group:default/{catalog.Teams[random.Next(catalog.Teams.Count)]}", CancellationToken.None)).Count);
            await Time("read: lowest 100 entities", 50, null, async () => (await service.ListEntitiesAsync("scorecard:default/readiness", null, null, null, 0, 100, CancellationToken.None)).Total);
            var health = new OwnershipHealth(index, deliveries, time);
            await Time("ownership health, whole catalog", 10, null, async () => (await health.ReportAsync(null, null, null, 90, CancellationToken.None)).Total);

            var history = new ScorecardHistoryStore(storage);
            watch.Restart();
            var written = await history.RecordAsync(await service.SnapshotAsync(CancellationToken.None), DateTimeOffset.UtcNow, CancellationToken.None);
            var firstSnapshot = watch.Elapsed;
            watch.Restart();
            var again = await history.RecordAsync(await service.SnapshotAsync(CancellationToken.None), DateTimeOffset.UtcNow, CancellationToken.None);
            Console.WriteLine($"history snapshot: first {firstSnapshot.TotalSeconds:F1} s ({written:N0} entity rows), next {watch.Elapsed.TotalSeconds:F1} s ({again:N0} changed)");
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static DeploymentRecord Record(string component, string status, DateTimeOffset created) =>
        new(Guid.NewGuid().ToString("N")[..16], DeploymentKinds.Deploy, component, "prod", "1." + created.DayOfYear.ToString(CultureInfo.InvariantCulture), null,
            new StrategySummary("rolling", []), status, "user:default/bench", created, created.AddMinutes(8), [], null, null, null, "api", [], created.AddMinutes(8));

    private static StoredEntity Scorecard(string name, string spec) =>
        new($"scorecard:default/{name}", Guid.NewGuid().ToString(), "etag", "loc", null, DateTimeOffset.UtcNow, "h",
            System.Text.Encoding.UTF8.GetBytes("{\"apiVersion\":\"idpserverless.io/v1alpha1\",\"kind\":\"Scorecard\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":" + spec + "}"));

    private static int Arg(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;

    /// <summary>Times <paramref name="timed"/> only; <paramref name="setup"/> runs untimed before it and <paramref name="after"/> untimed after it.</summary>
    private static async Task Time<T>(string name, int runs, Action? setup, Func<Task<T>> timed, Func<Task<long>>? after = null)
    {
        var samples = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            setup?.Invoke();
            var start = Stopwatch.GetTimestamp();
            await timed();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (after is not null)
            {
                await after();
            }
        }

        Array.Sort(samples);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {runs} | {samples[runs / 2]:F2} | {samples[(int)(runs * 0.95)]:F2} | {samples[Math.Min(runs - 1, (int)(runs * 0.99))]:F2} | {samples[^1]:F2} |"));
    }

    private sealed class NoHttp : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => throw new InvalidOperationException("no HTTP in this benchmark");
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
