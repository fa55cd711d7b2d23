using IdpServerless.Benchmarks;

// Benchmarks: `dotnet run -c Release --project tests/IdpServerless.Benchmarks -- <name> [options]`.
// Add a benchmark by writing one file with a `static Task<int> RunAsync(string[] args)` and registering it here.
var benchmarks = new Dictionary<string, Func<string[], Task<int>>>(StringComparer.OrdinalIgnoreCase)
{
    ["storage"] = StorageBenchmark.RunAsync,
    ["git"] = GitBenchmark.RunAsync,
    ["cold-start"] = ColdStartBenchmark.RunAsync,
    ["catalog"] = CatalogBenchmark.RunAsync,
    ["catalog-index"] = CatalogIndexBenchmark.RunAsync,
    ["identity"] = IdentityBenchmark.RunAsync,
    ["deployments"] = DeploymentsBenchmark.RunAsync,
    ["events"] = EventsBenchmark.RunAsync,
    ["orchestration"] = OrchestrationBenchmark.RunAsync,
    ["durable-engines"] = DurableEnginesBenchmark.RunAsync,
    ["templates"] = TemplatesBenchmark.RunAsync,
    ["docs"] = DocsBenchmark.RunAsync,
    ["page-load"] = PageLoadBenchmark.RunAsync,
    ["scorecards"] = ScorecardsBenchmark.RunAsync,
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine("usage: IdpServerless.Benchmarks <benchmark> [options]");
    Console.Error.WriteLine("benchmarks: " + string.Join(", ", benchmarks.Keys.Order()));
    return 2;
}

// Every figure on this shared VM moves with the CPU the hypervisor takes away, so each run ends by saying how much that was.
var before = CpuTicks.Read();
var code = await run(args[1..]);
Console.WriteLine(CpuTicks.Since(before, $"during the whole '{args[0]}' run"));
return code;
