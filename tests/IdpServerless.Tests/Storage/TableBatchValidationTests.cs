using System.Net;
using System.Text;
using IdpServerless.Storage;
using IdpServerless.Storage.Internal;

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

    [Fact]
    public void Body_is_one_changeset_with_crlf_framing_and_if_match_defaults()
    {
        var (body, contentType) = TableBatchWriter.Build(
            "http://127.0.0.1:1/devstoreaccount1/t",
            [
                new(TableBatchAction.Add, new TableEntity("p", "a") { ["N"] = 1 }),
                new(TableBatchAction.UpdateMerge, new TableEntity("p", "b"), "W/\"etag\""),
                new(TableBatchAction.Delete, new TableEntity("p", "it's")),
            ]);
        var text = Encoding.UTF8.GetString(body.Span);
        var boundary = contentType["multipart/mixed; boundary=".Length..];

        Assert.StartsWith("--" + boundary + "\r\nContent-Type: multipart/mixed; boundary=changeset_", text);
        Assert.EndsWith("--" + boundary + "--\r\n", text);
        Assert.Contains("POST http://127.0.0.1:1/devstoreaccount1/t HTTP/1.1\r\n", text);
        Assert.Contains("MERGE http://127.0.0.1:1/devstoreaccount1/t(PartitionKey='p',RowKey='b') HTTP/1.1\r\n", text);
        Assert.Contains("If-Match: W/\"etag\"\r\n", text);
        Assert.Contains("DELETE http://127.0.0.1:1/devstoreaccount1/t(PartitionKey='p',RowKey='it%27%27s') HTTP/1.1\r\n", text);
        Assert.Contains("If-Match: *\r\n", text);
        Assert.Contains("{\"PartitionKey\":\"p\",\"RowKey\":\"a\",\"N\":1}", text);
    }

    [Fact]
    public void Failed_changeset_maps_index_from_message_prefix()
    {
        const string response =
            "--batchresponse_1\r\nContent-Type: multipart/mixed; boundary=changesetresponse_2\r\n\r\n"
            + "--changesetresponse_2\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            + "HTTP/1.1 409 Conflict\r\nContent-ID: 99\r\nContent-Type: application/json;odata=minimalmetadata;charset=utf-8\r\n\r\n"
            + "{\"odata.error\":{\"code\":\"EntityAlreadyExists\",\"message\":{\"lang\":\"en-US\",\"value\":\"57:The specified entity already exists.\\nRequestId:x\"}}}\r\n"
            + "--changesetresponse_2--\r\n--batchresponse_1--\r\n";

        var ex = Assert.Throws<StorageBatchException>(() => TableBatchReader.Read(response, 100, "t"));

        Assert.Equal(57, ex.FailedOperationIndex);
        Assert.Equal(409, ex.Status);
        Assert.Equal("EntityAlreadyExists", ex.ErrorCode);
    }

    [Fact]
    public void Failed_changeset_without_prefix_falls_back_to_content_id()
    {
        const string response =
            "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: application/http\r\n\r\n"
            + "HTTP/1.1 404 Not Found\r\nContent-ID: 3\r\n\r\n"
            + "{\"odata.error\":{\"code\":\"ResourceNotFound\",\"message\":{\"lang\":\"en-US\",\"value\":\"The specified resource does not exist.\"}}}\r\n--c--\r\n--b--\r\n";

        var ex = Assert.Throws<StorageBatchException>(() => TableBatchReader.Read(response, 5, "t"));

        Assert.Equal(2, ex.FailedOperationIndex);
        Assert.Equal(404, ex.Status);
    }

    [Fact]
    public void Successful_changeset_yields_status_and_etag_per_operation()
    {
        const string response =
            "--b\nContent-Type: multipart/mixed; boundary=c\n\n"
            + "--c\nContent-Type: application/http\n\nHTTP/1.1 204 No Content\nETag: W/\"1\"\n\n\n"
            + "--c\nContent-Type: application/http\n\nHTTP/1.1 204 No Content\n\n\n--c--\n--b--\n";

        var results = TableBatchReader.Read(response, 2, "t");

        Assert.Equal([new TableBatchResult(204, "W/\"1\""), new TableBatchResult(204, null)], results);
    }
}
