using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Git.Local;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace IdpServerless.Tests.Deployments;

/// <summary>
/// Nothing is lost when the app process dies or storage goes away in the middle of a burst: 100 deployments (50
/// components x 2 environments) run in the real app process on a real Azurite (its own, on disk, so it can be stopped)
/// with real local git; after a SIGKILL of the app and a restart, or after Azurite is stopped cleanly for 5 s and started
/// again, every deployment succeeds and each deployment id is in exactly one commit.
/// </summary>
[Collection(AzuriteRecoveryCollection.Name)]
public class DeploymentCrashTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Components = 50;
    private static readonly string[] Environments = ["dev", "staging"];

    [Fact]
    public async Task A_SIGKILL_of_the_app_in_the_middle_of_100_deployments_loses_none_and_commits_each_once()
    {
        await using var run = await Run.StartAsync("kill");
        var ids = await run.StartDeploymentsAsync();

        // Kill it in the middle: some deployments done, others under way.
        await run.WaitForAsync(done => done >= 10, "10 deployments to finish");
        Assert.True(await run.CountSucceededAsync(ids) < ids.Count, "the kill must hit running deployments");
        await run.App.KillAsync();
        var restart = System.Diagnostics.Stopwatch.StartNew();
        await run.RestartAppAsync();

        await run.AssertAllSucceededOnceAsync(ids);
        output.WriteLine($"all {ids.Count} deployments finished {restart.Elapsed.TotalSeconds:F1} s after the restart began");
    }

    [Fact]
    public async Task Storage_stopped_for_5_s_in_the_middle_of_100_deployments_loses_none_and_commits_each_once()
    {
        await using var run = await Run.StartAsync("outage");
        var ids = await run.StartDeploymentsAsync();

        await run.WaitForAsync(done => done >= 10, "10 deployments to finish");
        Assert.True(await run.CountSucceededAsync(ids) < ids.Count, "the outage must hit running deployments");
        await run.Azurite.StopAsync();
        var stoppedAt = DateTime.UtcNow;
        // The outage lasts 5 s: this is the outage being simulated, not a wait for something to happen.
        await Task.Delay(TimeSpan.FromSeconds(5) - (DateTime.UtcNow - stoppedAt));
        await run.Azurite.StartAgainAsync();
        var back = System.Diagnostics.Stopwatch.StartNew();

        Assert.False(run.App.HasExited, "the app must ride out the outage");
        await run.AssertAllSucceededOnceAsync(ids);
        output.WriteLine($"all {ids.Count} deployments finished {back.Elapsed.TotalSeconds:F1} s after storage came back");
    }

    private sealed class Run : IAsyncDisposable
    {
        private readonly string _dataDir;
        private readonly Dictionary<string, string> _settings;

        private Run(AzuriteFixture azurite, string dataDir, Dictionary<string, string> settings, FunctionAppProcess app)
        {
            Azurite = azurite;
            _dataDir = dataDir;
            _settings = settings;
            App = app;
        }

        public AzuriteFixture Azurite { get; }

        public FunctionAppProcess App { get; private set; }

        public static async Task<Run> StartAsync(string name)
        {
            var azurite = await AzuriteFixture.StartPersistentAsync();
            var dataDir = Directory.CreateTempSubdirectory("idp-crash-").FullName;
            var catalog = Path.Combine(Directory.CreateDirectory(Path.Combine(dataDir, "catalog")).FullName, "crash.yaml");
            await File.WriteAllTextAsync(catalog, Catalog());
            var settings = new Dictionary<string, string>(Durable.AppSettings.ForHub(name + Guid.NewGuid().ToString("N")[..8]))
            {
                ["IDP_DATA_DIR"] = dataDir,
                ["Clusters__Simulated"] = "local-east=eastus",
                // Each rollout takes 3 s to converge, so the last of the 100 (started one by one over HTTP, which can
                // take longer than a whole rollout on a busy machine) are still under way when the kill or outage comes.
                ["Clusters__ConvergenceTime"] = "00:00:03",
                ["Deployments__PollInterval"] = "00:00:00.500",
                ["Deployments__ProgressDeadline"] = "00:05:00",
                ["IDP_RATE_LIMIT_PER_IDENTITY"] = "0",
                ["IDP_RATE_LIMIT_PER_ADDRESS"] = "0",
            };
            FunctionAppProcess? app = null;
            try
            {
                app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, settings);
                using (var r = await app.Http.PostAsJsonAsync("/api/catalog/locations", new { type = "file", target = catalog }))
                {
                    Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"register catalog: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
                }

                await Eventually.TrueAsync(async () =>
                {
                    using var r = await app.Http.GetAsync($"/api/catalog/entities/by-name/component/default/crash-{Components - 1:D2}");
                    return r.IsSuccessStatusCode;
                }, TimeSpan.FromSeconds(60), "the catalog's components");
                return new Run(azurite, dataDir, settings, app);
            }
            catch
            {
                // Never leave the app or Azurite running behind a failed set-up.
                if (app is not null)
                {
                    await app.DisposeAsync();
                }

                await azurite.DisposeAsync();
                throw;
            }
        }

        public async Task<List<string>> StartDeploymentsAsync()
        {
            var ids = new List<string>();
            foreach (var environment in Environments)
            {
                for (var i = 0; i < Components; i++)
                {
                    using var r = await App.Http.PostAsJsonAsync("/api/deployments", new { component = $"component:default/crash-{i:D2}", environment, version = "1.0.0" });
                    var body = await r.Content.ReadAsStringAsync();
                    Assert.True(r.StatusCode == HttpStatusCode.Accepted, $"deploy crash-{i:D2} to {environment}: {(int)r.StatusCode} {body}");
                    ids.Add(JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!);
                }
            }

            return ids;
        }

        public async Task RestartAppAsync()
        {
            await App.DisposeAsync();
            App = await FunctionAppProcess.StartAsync(Azurite.ConnectionString, _settings);
        }

        public Task WaitForAsync(Func<int, bool> condition, string what) =>
            Eventually.TrueAsync(async () => condition(await CountFinishedAsync()), TimeSpan.FromSeconds(180), what);

        public async Task<int> CountSucceededAsync(IReadOnlyCollection<string> ids)
        {
            var statuses = await StatusesAsync();
            return ids.Count(id => statuses.GetValueOrDefault(id) == "Succeeded");
        }

        public async Task AssertAllSucceededOnceAsync(IReadOnlyList<string> ids)
        {
            Dictionary<string, string> statuses = [];
            try
            {
                await Eventually.TrueAsync(async () =>
                {
                    statuses = await StatusesAsync();
                    return ids.All(id => statuses.GetValueOrDefault(id) is "Succeeded" or "Failed" or "Aborted" or "RolledBack");
                }, TimeSpan.FromSeconds(300), "all 100 deployments to finish");
            }
            catch (TimeoutException e)
            {
                var counts = string.Join(", ", ids.GroupBy(id => statuses.GetValueOrDefault(id) ?? "unknown").Select(g => $"{g.Key} {g.Count()}"));
                // The orchestration history of each unfinished deployment (its instance id is the deployment id).
                var histories = new StringBuilder();
                foreach (var id in ids.Where(id => statuses.GetValueOrDefault(id) is not ("Succeeded" or "Failed" or "Aborted" or "RolledBack")).Take(3))
                {
                    using var h = await App.Http.GetAsync($"/api/orchestrations/instances/{id}/history");
                    var text = await h.Content.ReadAsStringAsync();
                    histories.Append(id).Append(": ").AppendLine(text.Length > 4000 ? text[^4000..] : text);
                }

                var output = App.Output;
                throw new TimeoutException($"{e.Message} ({counts})\nhistories:\n{histories}\napp output (last 6000 chars):\n{output[Math.Max(0, output.Length - 6000)..]}", e);
            }
            Assert.All(ids, id => Assert.Equal("Succeeded", statuses[id]));

            // Each deployment made its one commit, exactly once, whatever ran twice.
            var git = new LocalGitProvider(new GitOptions { DataDir = _dataDir }, TimeProvider.System, NullLogger<LocalGitProvider>.Instance);
            var trailers = new List<string>();
            for (var i = 0; i < Components; i++)
            {
                var log = await git.LogAsync(new RepoRef("deployments", $"crash-{i:D2}-deploy"), "main", null, 200, CancellationToken.None);
                trailers.AddRange(log.SelectMany(c => c.Message.Split('\n')).Where(l => l.StartsWith(GitOpsWriter.DeploymentTrailer + ": ", StringComparison.Ordinal))
                    .Select(l => l[(GitOpsWriter.DeploymentTrailer.Length + 2)..].Trim()));
            }

            Assert.All(ids, id => Assert.Equal(1, trailers.Count(t => t == id)));
            Assert.Equal(ids.Count, trailers.Count);
        }

        private async Task<int> CountFinishedAsync() => (await StatusesAsync()).Values.Count(s => s is "Succeeded" or "Failed");

        private async Task<Dictionary<string, string>> StatusesAsync()
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < Components; i++)
            {
                using var r = await App.Http.GetAsync($"/api/deployments?component=component:default/crash-{i:D2}&limit=10");
                if (!r.IsSuccessStatusCode)
                {
                    continue; // Storage is down or the app restarts: ask again.
                }

                var body = await r.Content.ReadFromJsonAsync<JsonElement>();
                foreach (var d in body.GetProperty("items").EnumerateArray())
                {
                    result[d.GetProperty("id").GetString()!] = d.GetProperty("status").GetString()!;
                }
            }

            return result;
        }

        private static string Catalog()
        {
            var yaml = new StringBuilder("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team\nspec:\n  type: team\n  children: []\n");
            for (var i = 0; i < Components; i++)
            {
                yaml.Append($"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: crash-{i:D2}\n  annotations:\n    idp.dev/environments: {string.Join(',', Environments)}\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/team\n");
            }

            return yaml.ToString();
        }

        public async ValueTask DisposeAsync()
        {
            await App.DisposeAsync();
            await Azurite.DisposeAsync();
            try
            {
                Directory.Delete(_dataDir, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean.
            }
        }
    }
}
