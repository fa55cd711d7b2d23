using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using IdpServerless.Hosting.Durable;
using IdpServerless.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Benchmarks;

/// <summary>
/// <c>orchestration [--processes 1,3] [--orchestrations 200] [--activities 10] [--chain] [--concurrency 16]</c>:
/// throughput of the orchestration engine. For each process count: a private Azurite, that many function-app processes
/// (Release build) on one task hub, then <c>--orchestrations</c> SelfTest instances started over HTTP (spread over the
/// processes, or with <c>--client</c> through the engine's own client from this process, which takes the HTTP, identity and
/// audit layers out of the measurement) that each run <c>--activities</c> echo activities (fan-out/fan-in, or one after another with
/// <c>--chain</c>). The clock runs from the first start request to the last instance completing.
/// </summary>
public static class OrchestrationBenchmark
{
    private const int Partitions = 4;

    public static async Task<int> RunAsync(string[] args)
    {
        var processCounts = (BenchmarkArgs.Option(args, "--processes") ?? "1,3").Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var orchestrations = int.Parse(BenchmarkArgs.Option(args, "--orchestrations") ?? "200", CultureInfo.InvariantCulture);
        var activities = int.Parse(BenchmarkArgs.Option(args, "--activities") ?? "10", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(BenchmarkArgs.Option(args, "--concurrency") ?? "16", CultureInfo.InvariantCulture);
        var chain = args.Contains("--chain");
        var viaClient = args.Contains("--client");
        var dll = Path.Combine(ColdStartBenchmark.RepoRoot(), "functions", "IdpServerless.Functions", "bin", "Release", "net10.0", "IdpServerless.Functions.dll");
        if (!File.Exists(dll))
        {
            Console.Error.WriteLine($"{dll} not found: run 'dotnet build functions/IdpServerless.Functions -c Release' first.");
            return 1;
        }

        Console.WriteLine($"{orchestrations} SelfTest orchestrations x {activities} activities ({(chain ? "chained" : "fan-out/fan-in")}), starts {concurrency} at a time {(viaClient ? "through the client" : "over HTTP")}");
        foreach (var count in processCounts)
        {
            await RunOnceAsync(dll, count, orchestrations, activities, chain, concurrency, viaClient);
        }

        return 0;
    }

    private static async Task RunOnceAsync(string dll, int processCount, int orchestrations, int activities, bool chain, int concurrency, bool viaClient)
    {
        await using var azurite = await AzuriteProcess.StartAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromMinutes(5) };
        var storageHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { Timeout = Timeout.InfiniteTimeSpan };
        var storage = new StorageClient(azurite.Account, storageHttp);
        const string hub = "bench";
        var apps = new List<(Process Process, Uri Address, string Token)>();
        try
        {
            for (var i = 0; i < processCount; i++)
            {
                apps.Add(await StartAppAsync(dll, azurite.ConnectionString, hub, http));
            }

            await WaitAsync(async () => await PartitionOwnersAsync(storage, hub) == Math.Min(processCount, Partitions), TimeSpan.FromSeconds(90));

            using var engine = viaClient ? await ClientForAsync(azurite.ConnectionString, hub) : null;
            var client = engine?.Services.GetRequiredService<OrchestrationInstances>();
            var cpu0 = apps.Sum(a => Cpu(a.Process)) + azurite.CpuTime.TotalSeconds;
            var azurite0 = azurite.CpuTime.TotalSeconds;
            var watch = Stopwatch.StartNew();
            var startLatencies = new List<double>();
            await Parallel.ForEachAsync(Enumerable.Range(0, orchestrations), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
            {
                var app = apps[i % apps.Count];
                var started = Stopwatch.GetTimestamp();
                if (client is not null)
                {
                    await client.StartAsync("SelfTest", new { activities, fanOut = !chain, recordEffects = false }, $"b{i:D6}", null, ct);
                    lock (startLatencies)
                    {
                        startLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }

                    return;
                }

                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(app.Address, $"/api/orchestrations/SelfTest?instanceId=b{i:D6}"))
                {
                    Content = JsonContent.Create(new { activities, fanOut = !chain, recordEffects = false }),
                };
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", app.Token);
                using var r = await http.SendAsync(request, ct);
                r.EnsureSuccessStatusCode();
                lock (startLatencies)
                {
                    startLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            });
            var startPhase = watch.Elapsed;
            await WaitAsync(async () => await CountAsync(storage, hub, "Completed") == orchestrations, TimeSpan.FromMinutes(15));
            watch.Stop();
            var failed = await CountAsync(storage, hub, "Failed");
            var cpu = apps.Sum(a => Cpu(a.Process)) + azurite.CpuTime.TotalSeconds - cpu0;
            var azuriteCpu = azurite.CpuTime.TotalSeconds - azurite0;
            startLatencies.Sort();
            var seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine(
                $"processes {processCount}: {orchestrations / seconds:F1} orchestrations/s, {orchestrations * activities / seconds:F1} activities/s " +
                $"({orchestrations} in {seconds:F1} s; starts took {startPhase.TotalSeconds:F1} s, start p50 {startLatencies[startLatencies.Count / 2]:F0} ms; " +
                $"failed {failed}; CPU used: all processes {cpu / seconds * 100:F0} % of a core, Azurite {azuriteCpu / seconds * 100:F0} %)");
        }
        finally
        {
            foreach (var (process, _, _) in apps)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }

                process.Dispose();
            }

            storageHttp.Dispose();
        }
    }

    private static async Task<(Process, Uri, string)> StartAppAsync(string dll, string connectionString, string hub, HttpClient http)
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        psi.Environment["AzureWebJobsStorage"] = connectionString;
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["IDP_LOCAL_SETTINGS"] = "/nonexistent/local.settings.json";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Durable__TaskHub"] = hub;
        psi.Environment["Durable__PartitionCount"] = Partitions.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Durable__LeaseAcquireInterval"] = "00:00:01";
        psi.Environment["IDP_MODE"] = "local";
        psi.Environment["IDP_BOOTSTRAP_ADMINS"] = "user:default/admin";
        psi.Environment["IDP_RATE_LIMIT_PER_IDENTITY"] = "0";
        psi.Environment["IDP_RATE_LIMIT_PER_ADDRESS"] = "0";
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"app {process.Id}: {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"app {process.Id}: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{port}");
        await WaitAsync(async () =>
        {
            try
            {
                using var r = await http.GetAsync(new Uri(address, "/api/health"));
                return r.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60));
        // Each process's local dev issuer has its own key: sign in to each.
        using var t = await http.PostAsJsonAsync(new Uri(address, "/api/auth/dev-token"), new { user = "user:default/admin" });
        t.EnsureSuccessStatusCode();
        var token = (await t.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("access_token").GetString()!;
        return (process, address, token);
    }

    /// <summary>The engine's client alone (no worker: its gRPC API only manages instances), on the apps' task hub.</summary>
    private static async Task<Microsoft.Extensions.Hosting.IHost> ClientForAsync(string connectionString, string hub)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = connectionString,
            ["Durable:TaskHub"] = hub,
            ["Durable:PartitionCount"] = Partitions.ToString(CultureInfo.InvariantCulture),
            ["Dispatch:Enabled"] = "false",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddAzureStorage(builder.Configuration);
        builder.Services.AddSingleton<IdpServerless.Hosting.Functions.FunctionRegistry>();
        builder.Services.AddDurableTask(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Distinct workers owning the task hub's partitions (DurableTask.AzureStorage's partition table).</summary>
    private static async Task<int> PartitionOwnersAsync(StorageClient storage, string hub)
    {
        var owners = new HashSet<string>(StringComparer.Ordinal);
        var partitions = 0;
        try
        {
            await foreach (var p in storage.GetTable(hub + "Partitions").QueryAsync())
            {
                partitions++;
                if (p.GetString("CurrentOwner") is { Length: > 0 } owner)
                {
                    owners.Add(owner);
                }
            }
        }
        catch (StorageNotFoundException)
        {
        }

        return partitions == Partitions ? owners.Count : 0;
    }

    private static async Task<int> CountAsync(StorageClient storage, string hub, string status)
    {
        var count = 0;
        try
        {
            await foreach (var _ in storage.GetTable(hub + "Instances").QueryAsync(TableFilter.Eq("RuntimeStatus", status), select: ["RuntimeStatus"]))
            {
                count++;
            }
        }
        catch (StorageNotFoundException)
        {
        }

        return count;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("benchmark condition not met in time");
            }

            await Task.Delay(250);
        }
    }

    private static double Cpu(Process p)
    {
        p.Refresh();
        return p.HasExited ? 0 : p.TotalProcessorTime.TotalSeconds;
    }

}
