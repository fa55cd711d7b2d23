using System.Text.Json;
using IdpServerless.Functions.Docs;
using IdpServerless.Functions.Docs.Building;
using IdpServerless.Functions.Docs.Search;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Functions;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IdpServerless.Tests.Docs;

/// <summary>The DocsRefresh timer queues a bounded number of builds per run: missing sites first, then changed, then old ones.</summary>
[Collection(AzuriteCollection.Name)]
public class DocsRefreshTests(AzuriteFixture azurite)
{
    private sealed class Entities(IReadOnlyList<DocsEntity> all) : IDocsEntities
    {
        public ValueTask<DocsEntity?> FindAsync(string kind, string ns, string name, CancellationToken cancellationToken) =>
            ValueTask.FromResult(all.FirstOrDefault(e => e.Ref == DocsKeys.Ref(kind, ns, name)));

        public ValueTask<IReadOnlyList<DocsEntity>> WithDocsAsync(CancellationToken cancellationToken) => ValueTask.FromResult(all);
    }

    private static DocsEntity Entity(string name, string fingerprint = "v1", bool docs = true) =>
        new("Component", "default", name, docs ? new Dictionary<string, string> { [DocsKeys.TechDocsRef] = "dir:." } : new Dictionary<string, string>(), fingerprint);

    private static DocsSite Site(string name, string fingerprint, DateTimeOffset builtAt) =>
        new(DocsKeys.Ref("Component", "default", name), name, builtAt, null, fingerprint, "file:/docs", [], [], []);

    [Fact]
    public async Task A_large_backlog_is_queued_a_bounded_batch_per_run_missing_sites_first_then_changed_then_old()
    {
        var now = DateTimeOffset.UtcNow;
        var options = Options.Create(new DocsOptions { BuildQueue = AzuriteFixture.UniqueName("docsbuild"), MaxBuildsPerRefresh = 2, RebuildAfter = TimeSpan.FromHours(1) });
        var index = new DocsSearchIndex();
        index.Put(Site("changed", "v0", now.AddMinutes(-5)), null, []);
        index.Put(Site("old", "v1", now.AddHours(-3)), null, []);
        index.Put(Site("fresh", "v1", now.AddMinutes(-1)), null, []);
        var entities = new Entities([Entity("old"), Entity("fresh"), Entity("missing-b"), Entity("changed"), Entity("missing-a"), Entity("missing-c"), Entity("no-docs", docs: false)]);
        var storage = azurite.CreateClient();
        var handler = new DocsRefreshHandler(null!, entities, index, new DocsBuildQueue(storage, new QueueWakeup(), options, TimeProvider.System), options, TimeProvider.System, NullLogger<DocsRefreshHandler>.Instance);
        var queue = storage.GetQueue(options.Value.BuildQueue);
        await queue.CreateIfNotExistsAsync(CancellationToken.None);
        var runs = new List<List<string>>();
        for (var run = 0; run < 4; run++)
        {
            var before = (await queue.PeekAsync(32)).Count;
            await handler.HandleAsync(new TimerContext(DocsRefreshHandler.FunctionName, now, false), CancellationToken.None);
            runs.Add((await queue.PeekAsync(32)).Skip(before)
                .Select(m => JsonSerializer.Deserialize<DocsBuildRequest>(m.Body, JsonSerializerOptions.Web)!.EntityRef).ToList());
        }

        Assert.Equal(["component:default/missing-a", "component:default/missing-b"], runs[0]);
        Assert.Equal(["component:default/missing-c", "component:default/changed"], runs[1]);
        Assert.Equal(["component:default/old"], runs[2]);
        Assert.Empty(runs[3]);
    }
}
