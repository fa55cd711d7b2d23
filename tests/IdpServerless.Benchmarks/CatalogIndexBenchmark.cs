using System.Diagnostics;
using System.Globalization;
using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Ingestion;
using IdpServerless.Functions.Catalog.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace IdpServerless.Benchmarks;

/// <summary>
/// The catalog's in-memory work without HTTP or storage: processes the generated 50,000-entity catalog, builds the
/// index, and times each query kind single-threaded (CPU cost per request), plus the managed heap the index keeps.
/// Options: <c>--entities N</c>, <c>--iterations N</c>.
/// </summary>
public static class CatalogIndexBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var entities = args.Length >= 2 && args[0] == "--entities" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50_000;
        var folder = Path.Combine(Path.GetTempPath(), "idp-catalog-index-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            var catalog = CatalogGenerator.Write(folder, entities);
            var options = Options.Create(new CatalogOptions { FileRoots = [folder], MaxEntitiesPerLocation = Math.Max(100_000, entities * 2) });
            var reader = new LocationReader(new NoHttp(), new EmptyServices(), options, new ConfigurationBuilder().Build());
            var processor = new LocationProcessor(reader, options);
            var before = GC.GetTotalMemory(true);
            var watch = Stopwatch.StartNew();
            var result = await processor.ProcessAsync(new LocationSpec(LocationSpec.File, catalog.RootFile), CancellationToken.None);
            var processed = watch.Elapsed;
            if (result.Problems.Count > 0)
            {
                Console.Error.WriteLine(string.Join("\n", result.Problems.Take(5)));
                return 1;
            }

            var stored = result.Entities.Select(e => new StoredEntity(e.RefKey, Guid.NewGuid().ToString(), "etag", "loc", e.ParentRef, DateTimeOffset.UtcNow, e.Hash, EntityBody.WithIds(e.Json, Guid.NewGuid().ToString(), "etag"))).ToList();
            result = null;
            watch.Restart();
            using var index = new CatalogIndex(options.Value);
            index.Apply(stored, []);
            var indexed = watch.Elapsed;
            stored = null;
            var heap = GC.GetTotalMemory(true) - before;
            Console.WriteLine($"{entities:N0} entities: read+parse+validate {processed.TotalSeconds:F1} s, index build {indexed.TotalSeconds:F1} s, managed heap held by the index {heap / 1048576.0:F0} MiB; process RSS {Status("VmRSS:"):F0} MiB, peak {Status("VmHWM:"):F0} MiB");

            // What a new instance does with a snapshot (without the download): decode and verify it, build an index from it.
            watch.Restart();
            var (captured, _) = index.Capture();
            var snapshot = CatalogSnapshot.Encode(captured, DateTimeOffset.UtcNow.UtcTicks, DateTimeOffset.UtcNow);
            var encoded = watch.Elapsed;
            captured = null;
            watch.Restart();
            var decoded = CatalogSnapshot.Decode(snapshot);
            var decodedIn = watch.Elapsed;
            using (var fresh = new CatalogIndex(options.Value))
            {
                fresh.Apply(decoded.Entities, []);
                Console.WriteLine($"snapshot: {snapshot.Length / 1048576.0:F1} MiB written in {encoded.TotalSeconds:F2} s; a new index from it: decode+verify {decodedIn.TotalSeconds:F2} s, index build {watch.Elapsed.TotalSeconds - decodedIn.TotalSeconds:F2} s (total {watch.Elapsed.TotalSeconds:F2} s)");
            }

            decoded = null;
            snapshot = null;
            GC.Collect();
            Console.WriteLine("| query | p50 ms | p95 ms | p99 ms |");
            Console.WriteLine("|---|---:|---:|---:|");

            var random = new Random(3);
            var refs = catalog.Refs;
            Time("get by name", 20_000, () => index.Get($"{refs[random.Next(refs.Count)].Kind}:default/{refs[random.Next(refs.Count)].Name}"));
            var filter = new EntityQuery(EntityQueryParser.ParseFilters(["kind=component,spec.type=service"]), EntityQueryParser.ParseOrder(["metadata.name,asc"]));
            var page = index.Query(filter, 20);
            Time("by-query filter, first page", 2_000, () => index.Query(filter, 20));
            Time("by-query filter, cursor page", 2_000, () => index.Query(filter, 20, page.Next));
            var owner = new EntityQuery(EntityQueryParser.ParseFilters([$"kind=component,relations.ownedby=group:default/{catalog.Teams[5]}"]), []);
            Time("by-query relations.ownedby", 2_000, () => index.Query(owner, 20));
            foreach (var term in new[] { "payments", "paym", "paments", "invoice", "invo", "invice", "checkout service" })
            {
                Time($"search '{term}'", 300, () => index.Query(new EntityQuery([], [], term), 20));
            }

            if (Environment.GetEnvironmentVariable("CATALOG_BENCH_PROFILE") == "1")
            {
                var text = (FullTextIndex)typeof(CatalogIndex).GetField("_text", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(index)!;
                Console.WriteLine($"vocabulary {text.TermCount:N0} words");
                Time("raw text search 'payments' (no name bonus)", 300, () => text.Search("payments", ushort.MaxValue, 65536));
                Time("raw text search 'zzzzqq' (no match)", 300, () => text.Search("zzzzqq", ushort.MaxValue, 65536));
                Time("raw text search 'invo'", 300, () => text.Search("invo", ushort.MaxValue, 65536));
                Console.WriteLine($"matches for payments: {text.Search("payments", ushort.MaxValue, 65536)!.Count}");
                var slots = (Array)typeof(CatalogIndex).GetField("_slots", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(index)!;
                var names = new string[slots.Length];
                for (var i = 0; i < slots.Length; i++)
                {
                    names[i] = slots.GetValue(i) is { } r ? (string)r.GetType().GetProperty("Name")!.GetValue(r)! : "";
                }

                Time("raw text search 'invo' with the name bonus", 300, () => text.Search("invo", ushort.MaxValue, slots.Length, s => names[s]));
                Console.WriteLine($"matches for invo: {text.Search("invo", ushort.MaxValue, 65536)!.Count}");
            }

            var components = EntityQueryParser.ParseFilters(["kind=component"]);
            Time("search 'payments service' in kind=component", 300, () => index.Query(new EntityQuery(components, [], "payments service"), 20));

            Time("facets kind+spec.type+lifecycle, no filter", 2_000, () => index.Facets(["kind", "spec.type", "spec.lifecycle"], EntityQuery.All));
            var kindFilter = new EntityQuery(EntityQueryParser.ParseFilters(["kind=component"]), []);
            Time("facets spec.type+lifecycle+tags, kind=component", 500, () => index.Facets(["spec.type", "spec.lifecycle", "metadata.tags"], kindFilter));
            Time("count, kind=component", 500, () => index.Query(kindFilter, 0));
            Time("count, whole catalog", 500, () => index.Query(EntityQuery.All, 0));
            Time("by-query kind=component limit 20", 2_000, () => index.Query(kindFilter, 20));
            var nameTitle = new[] { "metadata.name", "metadata.title" };
            foreach (var term in new[] { "payments", "paym", "checkout" })
            {
                Time($"full text on name+title '{term}'", 300, () => index.Query(new EntityQuery([], [], term, nameTitle), 20));
            }

            Console.WriteLine($"process RSS at the end {Status("VmRSS:"):F0} MiB, peak {Status("VmHWM:"):F0} MiB; GC: {GC.CollectionCount(0)} gen0, {GC.CollectionCount(1)} gen1, {GC.CollectionCount(2)} gen2, pause total {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms, server GC {System.Runtime.GCSettings.IsServerGC}");
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Time(string name, int iterations, Action action)
    {
        for (var i = 0; i < Math.Min(50, iterations); i++)
        {
            action();
        }

        var samples = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(samples);
        Console.WriteLine($"| {name} | {samples[iterations / 2]:F3} | {samples[(int)(iterations * 0.95)]:F3} | {samples[(int)(iterations * 0.99)]:F3} |");
    }

    private static double Status(string field)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
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
