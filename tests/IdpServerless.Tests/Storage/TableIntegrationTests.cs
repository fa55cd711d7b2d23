using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public class TableIntegrationTests(AzuriteFixture azurite)
{
    private readonly StorageClient _client = azurite.CreateClient();

    private async Task<TableClient> NewTableAsync()
    {
        var table = _client.GetTable(AzuriteFixture.UniqueName("t"));
        await table.CreateIfNotExistsAsync();
        return table;
    }

    [Fact]
    public async Task All_property_types_round_trip()
    {
        var table = await NewTableAsync();
        var when = new DateTimeOffset(2026, 11, 21, 9, 8, 7, TimeSpan.FromHours(2)).AddTicks(1234567);
        var id = Guid.NewGuid();
        var entity = new TableEntity("p1", "r1")
        {
            ["Text"] = "héllo <&> 'quoted' \"double\"",
            ["Small"] = 42,
            ["Big"] = 5_000_000_000L,
            ["NegativeBig"] = long.MinValue,
            ["Ratio"] = 3.25,
            ["Whole"] = 2.0,
            ["Flag"] = true,
            ["When"] = when,
            ["Id"] = id,
            ["Bytes"] = new byte[] { 0, 1, 2, 254, 255 },
        };

        var etag = await table.AddEntityAsync(entity);
        var read = await table.GetEntityAsync("p1", "r1");

        Assert.NotNull(read);
        Assert.False(string.IsNullOrEmpty(etag));
        Assert.Equal(etag, read.ETag);
        Assert.NotNull(read.Timestamp);
        Assert.Equal("héllo <&> 'quoted' \"double\"", read.GetString("Text"));
        Assert.Equal(42, read["Small"]);
        Assert.Equal(5_000_000_000L, read["Big"]);
        Assert.Equal(long.MinValue, read.GetInt64("NegativeBig"));
        Assert.Equal(3.25, read["Ratio"]);
        Assert.Equal(2.0, read.GetDouble("Whole"));
        Assert.Equal(true, read["Flag"]);
        Assert.Equal(when, read.GetDateTimeOffset("When"));
        Assert.Equal(TimeSpan.Zero, read.GetDateTimeOffset("When")!.Value.Offset);
        Assert.Equal(id, read["Id"]);
        Assert.Equal(new byte[] { 0, 1, 2, 254, 255 }, read.GetBinary("Bytes"));
        Assert.Equal(10, read.Count);
        Assert.Null(read["Missing"]);
    }

    [Fact]
    public async Task Awkward_keys_work_for_every_operation()
    {
        var table = await NewTableAsync();
        var pk = TableKeys.Escape("team/a#1?");
        var rk = "it's é 100% + & = ; (x)";

        await table.AddEntityAsync(new TableEntity(pk, rk) { ["V"] = 1 });
        var read = await table.GetEntityAsync(pk, rk);
        var page = await table.QueryPageAsync(TableFilter.And(TableFilter.Eq("PartitionKey", pk), TableFilter.Eq("RowKey", rk)));
        await table.UpdateEntityAsync(new TableEntity(pk, rk) { ["V"] = 2 }, read!.ETag!);
        await table.DeleteEntityAsync(pk, rk);

        Assert.Equal("team/a#1?", TableKeys.Unescape(read.PartitionKey));
        Assert.Equal(rk, read.RowKey);
        Assert.Single(page.Items);
        Assert.Null(await table.GetEntityAsync(pk, rk));
    }

    [Fact]
    public async Task Add_of_existing_entity_is_a_conflict()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "r"));

        var ex = await Assert.ThrowsAsync<StorageConflictException>(() => table.AddEntityAsync(new TableEntity("p", "r")));

        Assert.Equal("EntityAlreadyExists", ex.ErrorCode);
    }

    [Fact]
    public async Task Conditional_update_and_delete_respect_etags()
    {
        var table = await NewTableAsync();
        var first = await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 });
        var second = await table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }, first);

        var stale = await Assert.ThrowsAsync<StoragePreconditionFailedException>(
            () => table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 3 }, first));
        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => table.DeleteEntityAsync("p", "r", first));
        await Assert.ThrowsAsync<StorageNotFoundException>(
            () => table.UpdateEntityAsync(new TableEntity("p", "missing"), "*"));
        Assert.Equal(2, (await table.GetEntityAsync("p", "r"))!.GetInt32("V"));

        await table.DeleteEntityAsync("p", "r", second);
        Assert.NotEqual(first, second);
        Assert.Equal(412, stale.Status);
        await Assert.ThrowsAsync<StorageNotFoundException>(() => table.DeleteEntityAsync("p", "r"));
        Assert.Null(await table.GetEntityAsync("p", "r"));
    }

    [Fact]
    public async Task Merge_keeps_unsent_properties_and_replace_drops_them()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "r") { ["A"] = 1, ["B"] = 2 });

        await table.UpdateEntityAsync(new TableEntity("p", "r") { ["B"] = 3, ["C"] = 4 }, "*", TableUpdateMode.Merge);
        var merged = await table.GetEntityAsync("p", "r");
        await table.UpsertEntityAsync(new TableEntity("p", "r") { ["C"] = 5 }, TableUpdateMode.Replace);
        var replaced = await table.GetEntityAsync("p", "r");
        await table.UpsertEntityAsync(new TableEntity("p", "new") { ["D"] = 6 }, TableUpdateMode.Merge);

        Assert.Equal(new Dictionary<string, object?> { ["A"] = 1, ["B"] = 3, ["C"] = 4 }, merged!.Properties.ToDictionary());
        Assert.Equal(new Dictionary<string, object?> { ["C"] = 5 }, replaced!.Properties.ToDictionary());
        Assert.Equal(6, (await table.GetEntityAsync("p", "new"))!.GetInt32("D"));
    }

    [Fact]
    public async Task Point_read_with_select_returns_keys_and_selected_properties_only()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "r") { ["A"] = 1, ["B"] = "two", ["C"] = 3L });

        var read = await table.GetEntityAsync("p", "r", ["B", "C"]);

        Assert.Equal("p", read!.PartitionKey);
        Assert.Equal("r", read.RowKey);
        Assert.Equal(["B", "C"], read.Properties.Select(p => p.Key).Order());
        Assert.Equal(3L, read["C"]);
    }

    [Fact]
    public async Task Query_follows_continuations_over_more_than_1000_entities()
    {
        var table = await NewTableAsync();
        const int count = 1205;
        for (var start = 0; start < count; start += 100)
        {
            var partition = start < 600 ? "a" : "b";
            var ops = Enumerable.Range(start, Math.Min(100, count - start))
                .Select(i => new TableBatchOperation(TableBatchAction.Add, new TableEntity(start < 600 ? "a" : "b", i.ToString("D5")) { ["N"] = i, ["Odd"] = i % 2 == 1 }));
            Assert.Equal(partition, ops.First().Entity.PartitionKey);
            await table.SubmitBatchAsync(ops);
        }

        var firstPage = await table.QueryPageAsync();
        var all = await table.QueryAsync().ToListAsync();
        var byFive = await table.QueryAsync(maxPerPage: 500).ToListAsync();
        var odd = await table.QueryAsync(TableFilter.Eq("Odd", true), select: ["N"]).ToListAsync();

        Assert.Equal(1000, firstPage.Items.Count);
        Assert.NotNull(firstPage.Continuation);
        Assert.Equal(count, all.Count);
        Assert.Equal(count, all.Select(e => e.RowKey).Distinct().Count());
        Assert.Equal(all.Select(e => e.RowKey), byFive.Select(e => e.RowKey));
        Assert.Equal(602, odd.Count);
        Assert.All(odd, e => Assert.Equal(["N"], e.Properties.Select(p => p.Key)));
    }

    [Fact]
    public async Task Query_with_top_pages_across_boundaries_in_key_order()
    {
        var table = await NewTableAsync();
        await table.SubmitBatchAsync(Enumerable.Range(0, 20).Select(i => new TableBatchOperation(TableBatchAction.Add, new TableEntity("team-a", i.ToString("D2")))));
        await table.AddEntityAsync(new TableEntity("team-b", "x"));
        await table.AddEntityAsync(new TableEntity("team", "x"));

        var pages = new List<TablePage>();
        TableContinuation? continuation = null;
        do
        {
            var page = await table.QueryPageAsync(TableFilter.PartitionKeyPrefix("team-a"), top: 7, continuation: continuation);
            pages.Add(page);
            continuation = page.Continuation;
        }
        while (continuation is not null && pages.Count < 10);

        var rows = pages.SelectMany(p => p.Items).Select(e => e.RowKey).ToList();
        Assert.True(pages.Count >= 3, $"expected at least 3 pages, got {pages.Count}");
        Assert.All(pages, p => Assert.True(p.Items.Count <= 7));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i.ToString("D2")), rows);
        Assert.Null(pages[^1].Continuation);
    }

    [Fact]
    public async Task Batch_of_100_is_atomic_and_reports_the_failing_index()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "057") { ["Original"] = true });
        var ops = Enumerable.Range(0, 100).Select(i => new TableBatchOperation(TableBatchAction.Add, new TableEntity("p", i.ToString("D3")) { ["N"] = i })).ToList();

        var ex = await Assert.ThrowsAsync<StorageBatchException>(() => table.SubmitBatchAsync(ops));

        Assert.Equal(57, ex.FailedOperationIndex);
        Assert.Equal(409, ex.Status);
        Assert.Equal("EntityAlreadyExists", ex.ErrorCode);
        var remaining = await table.QueryAsync().ToListAsync();
        var survivor = Assert.Single(remaining);
        Assert.Equal(true, survivor["Original"]);
    }

    [Fact]
    public async Task Mixed_batch_applies_every_operation_and_returns_etags()
    {
        var table = await NewTableAsync();
        var existing = await table.AddEntityAsync(new TableEntity("p", "update") { ["V"] = 1, ["Keep"] = "k" });
        await table.AddEntityAsync(new TableEntity("p", "delete"));
        await table.AddEntityAsync(new TableEntity("p", "replace") { ["Gone"] = 1 });

        var results = await table.SubmitBatchAsync(
        [
            new(TableBatchAction.Add, new TableEntity("p", "add") { ["V"] = 1 }),
            new(TableBatchAction.UpdateMerge, new TableEntity("p", "update") { ["V"] = 2 }, existing),
            new(TableBatchAction.Delete, new TableEntity("p", "delete")),
            new(TableBatchAction.UpsertReplace, new TableEntity("p", "replace") { ["New"] = 1 }),
            new(TableBatchAction.UpsertMerge, new TableEntity("p", "upsert") { ["V"] = 3 }),
        ]);

        Assert.Equal(5, results.Count);
        Assert.All(results, r => Assert.InRange(r.Status, 200, 299));
        Assert.NotNull(results[0].ETag);
        var update = await table.GetEntityAsync("p", "update");
        Assert.Equal(results[1].ETag, update!.ETag);
        Assert.Equal("k", update.GetString("Keep"));
        Assert.Equal(2, update.GetInt32("V"));
        Assert.Null(await table.GetEntityAsync("p", "delete"));
        Assert.Equal(["New"], (await table.GetEntityAsync("p", "replace"))!.Properties.Select(p => p.Key));
        Assert.Equal(3, (await table.GetEntityAsync("p", "upsert"))!.GetInt32("V"));
    }

    [Fact]
    public async Task Batch_update_with_stale_etag_fails_whole_batch()
    {
        var table = await NewTableAsync();
        var stale = await table.AddEntityAsync(new TableEntity("p", "a") { ["V"] = 1 });
        await table.UpsertEntityAsync(new TableEntity("p", "a") { ["V"] = 2 });

        var ex = await Assert.ThrowsAsync<StorageBatchException>(() => table.SubmitBatchAsync(
        [
            new(TableBatchAction.Add, new TableEntity("p", "b")),
            new(TableBatchAction.UpdateReplace, new TableEntity("p", "a") { ["V"] = 3 }, stale),
        ]));

        Assert.Equal(1, ex.FailedOperationIndex);
        Assert.Equal(412, ex.Status);
        Assert.Null(await table.GetEntityAsync("p", "b"));
    }

    [Fact]
    public async Task Create_and_delete_table_are_idempotent()
    {
        var table = _client.GetTable(AzuriteFixture.UniqueName("t"));
        await table.CreateIfNotExistsAsync();
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new TableEntity("p", "r"));

        await table.DeleteTableAsync();
        await table.DeleteTableAsync();

        var ex = await Assert.ThrowsAsync<StorageNotFoundException>(() => table.AddEntityAsync(new TableEntity("p", "r")));
        Assert.Equal(404, ex.Status);
        // A point read of a table that does not exist finds nothing, as it did before the SDK (the REST client's contract).
        Assert.Null(await table.GetEntityAsync("p", "r"));
        await Assert.ThrowsAsync<StorageNotFoundException>(() => table.DeleteEntityAsync("p", "r"));
    }
}
