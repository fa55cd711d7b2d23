using System.Net;
using IdpServerless.Storage;

namespace IdpServerless.Tests.Storage;

public class TableBatchValidationTests
{
    private static (TableClient Table, FakeStorageHandler Handler) Create()
    {
        var handler = new FakeStorageHandler((_, _) => FakeStorageHandler.Status(HttpStatusCode.Accepted));
        var client = new StorageClient(StorageAccount.ForAzurite(1, 2, 3), new HttpClient(handler));
        return (client.GetTable("batchcheck"), handler);
    }

    private static TableBatchOperation Add(string pk, string rk) => new(TableBatchAction.Add, new TableEntity(pk, rk));

    [Fact]
    public async Task More_than_100_operations_are_rejected_before_sending()
    {
        var (table, handler) = Create();
        var ops = Enumerable.Range(0, 101).Select(i => Add("p", i.ToString("D3")));

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitBatchAsync(ops));

        Assert.Contains("101", ex.Message);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task Two_partitions_are_rejected_before_sending()
    {
        var (table, handler) = Create();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitBatchAsync([Add("p1", "a"), Add("p2", "b")]));

        Assert.Contains("operation 1", ex.Message);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task Empty_batch_and_duplicate_entities_are_rejected()
    {
        var (table, handler) = Create();

        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitBatchAsync([]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitBatchAsync([Add("p", "a"), new(TableBatchAction.Delete, new TableEntity("p", "a"))]));
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task Batches_over_4_MiB_are_rejected_before_sending()
    {
        var (table, handler) = Create();
        var big = new string('x', 30_000);
        var ops = Enumerable.Range(0, 100).Select(i =>
        {
            var e = new TableEntity("p", i.ToString("D3"));
            for (var j = 0; j < 2; j++)
            {
                e["S" + j] = big;
            }

            return new TableBatchOperation(TableBatchAction.UpsertReplace, e);
        });

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitBatchAsync(ops));

        Assert.Contains("4 MiB", ex.Message);
        Assert.Empty(handler.Requests);
    }
}
