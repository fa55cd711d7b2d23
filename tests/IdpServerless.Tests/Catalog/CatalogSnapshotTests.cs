using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Storage;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Catalog;

/// <summary>
/// New instances start from the index snapshot in a blob plus the change log's tail (issue #18 point 2): the same
/// catalog as the instance that wrote it, 503 with Retry-After while loading and never a partial list, and a
/// snapshot that is corrupt, torn or of another format refused with a log line in favour of the full table load.
/// </summary>
[Collection("azurite")]
public class CatalogSnapshotTests(AzuriteFixture azurite)
{
    private static readonly Dictionary<string, string> Writer = new()
    {
        ["Catalog__SnapshotInterval"] = "00:00:00.200",
        ["Catalog__SnapshotQuietPeriod"] = "00:00:00",
        ["Logging__LogLevel__IdpServerless.Functions.Catalog"] = "Information",
    };

    private static readonly Dictionary<string, string> Reader = new()
    {
        ["Catalog__SnapshotInterval"] = "00:00:00",
        ["Logging__LogLevel__IdpServerless.Functions.Catalog"] = "Information",
    };

    private static string Components(string prefix, int count) => string.Join("\n---\n", Enumerable.Range(0, count).Select(i => $"""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: {prefix}-{i}
          title: Snapshot {prefix} {i}
        spec:
          type: service
          lifecycle: production
          owner: team-snap
        """)) + """

        ---
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata:
          name: team-snap
        spec:
          type: team
          children: []
        """;

    [Fact]
    public async Task A_new_instance_answers_the_writers_catalog_from_the_snapshot_plus_the_tail_and_only_503s_while_loading()
    {
        await using var app = await CatalogTestApp.StartAsync(azurite, Writer);
        await app.RegisterOkAsync(app.Write("before/catalog-info.yaml", Components("before", 40)));
        await Eventually.TrueAsync(() => Task.FromResult(app.App.Output.Contains("Catalog snapshot written: 41 entities", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the first instance's snapshot of 41 entities");
        var before = await RefsAsync(app.Http);
        Assert.Equal(41, before.Count);
        // No newer snapshot from here on: what the next instances write must come to them through the change log.
        await app.App.KillAsync();

        var second = await app.AddInstanceAsync(azurite, Reader);
        await Eventually.TrueAsync(() => Task.FromResult(second.Output.Contains("Catalog loaded from snapshot: 41 entities", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the second instance's load from the snapshot");
        Assert.Equal(before, await RefsAsync(second.Http));
        using (var registered = await app.RegisterAsync(app.Write("after/catalog-info.yaml", """
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: after-snapshot
            spec:
              type: service
              lifecycle: production
              owner: team-snap
            """), http: second.Http))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        var expected = await RefsAsync(second.Http);
        Assert.Contains("component:default/after-snapshot", expected);
        Assert.Equal(42, expected.Count);

        // The third instance waits 12 s (from its host start, before it listens) before loading and does not wait for its load: every answer until then is a 503
        // with Retry-After, the first 200 is the whole catalog, the tail included.
        // It cannot issue tokens before its catalog is loaded (sign-in reads groups from it): it gets the second's.
        var third = await app.AddInstanceAsync(azurite, new Dictionary<string, string>(Reader)
        {
            ["Catalog__InitialLoadDelay"] = "00:00:12",
            ["Catalog__ReadyWait"] = "00:00:00",
        }, second.Http.DefaultRequestHeaders.Authorization!.Parameter);
        var unavailable = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await third.Http.GetAsync("/api/catalog/entities?fields=kind,metadata.name,metadata.namespace");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal(expected, ToRefs(JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray()));
                break;
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Equal("The catalog is still loading.", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["title"]!.GetValue<string>());
            unavailable++;
            Assert.True(DateTime.UtcNow < deadline, "the third instance never finished loading:\n" + third.Output);
            await Task.Delay(50);
        }

        Assert.True(unavailable > 0, "the third instance answered before its load delay ended");
        Assert.Contains("Catalog loaded from snapshot: 41 entities", third.Output, StringComparison.Ordinal);
        Assert.Equal(expected, await RefsAsync(third.Http));
    }

    [Fact]
    public async Task A_corrupt_snapshot_is_refused_with_a_log_line_and_the_instance_loads_every_row_instead()
    {
        await using var app = await CatalogTestApp.StartAsync(azurite, Writer);
        await app.RegisterOkAsync(app.Write("c/catalog-info.yaml", Components("corrupt", 5)));
        await Eventually.TrueAsync(() => Task.FromResult(app.App.Output.Contains("Catalog snapshot written: 6 entities", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the snapshot of 6 entities");
        var expected = await RefsAsync(app.Http);
        await app.App.KillAsync();

        var container = new StorageClient(StorageAccount.Parse(azurite.ConnectionString)).GetContainer("catalog-snapshots");
        var blob = CatalogSnapshot.BlobName("ents" + app.Suffix);
        var bytes = (await container.DownloadAsync(blob))!.Content;
        bytes[^10] ^= 0xFF;
        await container.UploadAsync(blob, bytes);

        var second = await app.AddInstanceAsync(azurite, Reader);
        Assert.Equal(expected, await RefsAsync(second.Http));
        Assert.Contains("not used, loading from Table storage instead: payload hash differs", second.Output, StringComparison.Ordinal);
        Assert.Contains("Catalog loaded: 6 entities", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_snapshot_format_round_trips_and_refuses_torn_corrupt_and_other_version_blobs()
    {
        var entities = Enumerable.Range(0, 3).Select(i => new StoredEntity(
            $"component:default/s{i}", $"uid-{i}", $"etag-{i}", i == 0 ? null : "loc", i == 1 ? "location:default/x" : null,
            new DateTimeOffset(2026, 12, 7, 12, 0, i, TimeSpan.Zero), $"hash-{i}",
            Encoding.UTF8.GetBytes("{\"kind\":\"Component\",\"metadata\":{\"name\":\"s" + i + "\"}}"), i == 2 ? null : "W/\"t\"")).ToList();
        var created = new DateTimeOffset(2026, 12, 7, 12, 5, 0, TimeSpan.Zero);
        var bytes = CatalogSnapshot.Encode(entities, 12345, created);

        var decoded = CatalogSnapshot.Decode(bytes);
        Assert.Equal(12345, decoded.Position);
        Assert.Equal(created, decoded.CreatedAt);
        Assert.Equal(entities.Count, decoded.Entities.Count);
        for (var i = 0; i < entities.Count; i++)
        {
            Assert.Equal(entities[i] with { Body = [] }, decoded.Entities[i] with { Body = [] });
            Assert.Equal(entities[i].Body, decoded.Entities[i].Body);
        }

        Assert.Contains("partial write", Assert.Throws<CatalogSnapshotException>(() => CatalogSnapshot.Decode(bytes[..^7])).Message, StringComparison.Ordinal);
        var corrupt = (byte[])bytes.Clone();
        corrupt[^3] ^= 0x01;
        Assert.Contains("hash differs", Assert.Throws<CatalogSnapshotException>(() => CatalogSnapshot.Decode(corrupt)).Message, StringComparison.Ordinal);
        var other = (byte[])bytes.Clone();
        other[8] = 2;
        Assert.Contains("format version 2", Assert.Throws<CatalogSnapshotException>(() => CatalogSnapshot.Decode(other)).Message, StringComparison.Ordinal);
        Assert.Throws<CatalogSnapshotException>(() => CatalogSnapshot.Decode("not a snapshot"u8.ToArray()));
    }

    private static async Task<List<string>> RefsAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/api/catalog/entities?fields=kind,metadata.name,metadata.namespace");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ToRefs(JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray());
    }

    private static List<string> ToRefs(JsonArray items) =>
        [.. items.Select(e => $"{e!["kind"]!.GetValue<string>().ToLowerInvariant()}:{e["metadata"]!["namespace"]?.GetValue<string>() ?? "default"}/{e["metadata"]!["name"]!.GetValue<string>()}")
            .Order(StringComparer.Ordinal)];
}
