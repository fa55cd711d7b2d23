using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using IdpServerless.Storage.Internal;

namespace IdpServerless.Storage;

/// <summary>
/// Entities of one table over the Table REST API (OData JSON, SharedKeyLite / SAS / bearer).
/// Obtain from <see cref="StorageClient.GetTable"/>; thread-safe.
/// </summary>
/// <remarks>
/// Requests are retried on transient failures. Conditional writes stay safe on retry, but a retry after a
/// lost response can report the effect of its own first attempt: e.g. an Add whose first response was lost
/// surfaces <see cref="StorageConflictException"/>, and an Update with an ETag surfaces
/// <see cref="StoragePreconditionFailedException"/>. Callers that see these after a retry should re-read the
/// entity to decide whether their write landed.
/// </remarks>
public sealed class TableClient
{
    internal const string JsonAccept = "application/json;odata=minimalmetadata";
    private static readonly HttpMethod Merge = new("MERGE");

    private readonly StorageTransport _transport;
    private readonly string _tableUri;
    private readonly string _serviceUri;

    internal TableClient(StorageTransport transport, string name)
    {
        _transport = transport;
        Name = name;
        _serviceUri = transport.Account.TableEndpoint.AbsoluteUri.TrimEnd('/');
        _tableUri = _serviceUri + "/" + name;
    }

    public string Name { get; }

    /// <summary>Creates the table; an existing table is fine.</summary>
    public async Task CreateIfNotExistsAsync(CancellationToken ct = default)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["TableName"] = Name });
        var request = NewRequest(HttpMethod.Post, _serviceUri + "/Tables", "Create table")
            .Header("Prefer", "return-no-content")
            .Body(body, "application/json");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        if (await StorageTransport.IsErrorAsync(response, HttpStatusCode.Conflict, "TableAlreadyExists", ct).ConfigureAwait(false))
        {
            return;
        }

        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
    }

    /// <summary>Deletes the table; a missing table is fine.</summary>
    public async Task DeleteTableAsync(CancellationToken ct = default)
    {
        var request = NewRequest(HttpMethod.Delete, $"{_serviceUri}/Tables('{TableUris.EscapeKey(Name)}')", "Delete table");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Point read; null when the entity does not exist. With <paramref name="select"/> the keys are always included.</summary>
    public async Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken ct = default)
    {
        var uri = EntityUri(partitionKey, rowKey);
        if (TableUris.Select(select) is { } selected)
        {
            uri += "?$select=" + selected;
        }

        var request = NewRequest(HttpMethod.Get, uri, "Get entity");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var doc = await JsonDocument.ParseAsync(stream, default, ct).ConfigureAwait(false);
        return TableEntityJson.Read(doc.RootElement, RawETag(response));
    }

    /// <summary>Inserts; returns the new ETag. <see cref="StorageConflictException"/> when the entity exists.</summary>
    public async Task<string> AddEntityAsync(TableEntity entity, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var request = NewRequest(HttpMethod.Post, _tableUri, "Insert entity")
            .Header("Prefer", "return-no-content")
            .Body(Serialize(entity), "application/json");
        return await SendWriteAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>Insert-or-replace / insert-or-merge without a condition; returns the new ETag.</summary>
    public async Task<string> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var request = NewRequest(mode == TableUpdateMode.Merge ? Merge : HttpMethod.Put, EntityUri(entity.PartitionKey, entity.RowKey), "Upsert entity")
            .Body(Serialize(entity), "application/json");
        return await SendWriteAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Conditional replace/merge with If-Match (an ETag or "*"); returns the new ETag.
    /// <see cref="StoragePreconditionFailedException"/> on a stale ETag, <see cref="StorageNotFoundException"/> when missing.
    /// </summary>
    public async Task<string> UpdateEntityAsync(TableEntity entity, string ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        var request = NewRequest(mode == TableUpdateMode.Merge ? Merge : HttpMethod.Put, EntityUri(entity.PartitionKey, entity.RowKey), "Update entity")
            .Header("If-Match", ifMatch)
            .Body(Serialize(entity), "application/json");
        return await SendWriteAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>Deletes with If-Match (default "*"). <see cref="StorageNotFoundException"/> when missing.</summary>
    public async Task DeleteEntityAsync(string partitionKey, string rowKey, string ifMatch = "*", CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        var request = NewRequest(HttpMethod.Delete, EntityUri(partitionKey, rowKey), "Delete entity").Header("If-Match", ifMatch);
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// One page (at most 1000, or <paramref name="top"/>) of a query. Build filters with <see cref="TableFilter"/>.
    /// With <paramref name="select"/> the keys are always included.
    /// </summary>
    public async Task<TablePage> QueryPageAsync(string? filter = null, int? top = null, IEnumerable<string>? select = null, TableContinuation? continuation = null, CancellationToken ct = default)
    {
        if (top is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(top), top, "top must be 1..1000.");
        }

        var request = NewRequest(HttpMethod.Get, TableUris.Query(_tableUri, filter, top, TableUris.Select(select), continuation), "Query entities");
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);

        var items = new List<TableEntity>();
        await using (var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false))
        {
            using var doc = await JsonDocument.ParseAsync(stream, default, ct).ConfigureAwait(false);
            if (doc.RootElement.TryGetProperty("value", out var value))
            {
                items.Capacity = value.GetArrayLength();
                foreach (var element in value.EnumerateArray())
                {
                    items.Add(TableEntityJson.Read(element));
                }
            }
        }

        var nextPk = Header(response, "x-ms-continuation-NextPartitionKey");
        var nextRk = Header(response, "x-ms-continuation-NextRowKey");
        var next = nextPk is null && nextRk is null ? null : new TableContinuation(nextPk, nextRk);
        return new TablePage(items, next);
    }

    /// <summary>All matching entities, following continuations (including empty pages that continue).</summary>
    public async IAsyncEnumerable<TableEntity> QueryAsync(string? filter = null, IEnumerable<string>? select = null, int? maxPerPage = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var selected = select?.ToArray();
        TableContinuation? continuation = null;
        do
        {
            var page = await QueryPageAsync(filter, maxPerPage, selected, continuation, ct).ConfigureAwait(false);
            foreach (var entity in page.Items)
            {
                yield return entity;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    /// <summary>
    /// Submits up to 100 operations on one partition (at most 4 MiB) as one atomic entity group transaction.
    /// Limits are checked before anything is sent (<see cref="ArgumentException"/>). On failure nothing is
    /// applied and <see cref="StorageBatchException"/> carries the failing operation's index.
    /// </summary>
    public async Task<IReadOnlyList<TableBatchResult>> SubmitBatchAsync(IEnumerable<TableBatchOperation> operations, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var ops = operations as IReadOnlyList<TableBatchOperation> ?? operations.ToList();
        var batch = TableBatchWriter.Build(_tableUri, ops);
        var request = NewRequest(HttpMethod.Post, _serviceUri + "/$batch", "Submit batch")
            .Body(batch.Body, batch.ContentType);
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            await TableBatchReader.ThrowForTopLevelFailureAsync(response, request, ct).ConfigureAwait(false);
        }

        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return TableBatchReader.Read(text, ops.Count, Name);
    }

    internal static string RawETag(HttpResponseMessage response) => Header(response, "ETag") ?? string.Empty;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString() : null;

    private static ReadOnlyMemory<byte> Serialize(TableEntity entity)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            TableEntityJson.Write(writer, entity);
        }

        return buffer.WrittenMemory;
    }

    private async Task<string> SendWriteAsync(StorageRequest request, CancellationToken ct)
    {
        using var response = await _transport.SendAsync(request, ct).ConfigureAwait(false);
        await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        return RawETag(response);
    }

    private StorageRequest NewRequest(HttpMethod method, string uri, string operation) =>
        new StorageRequest(StorageService.Table, method, uri, operation)
            .Header("Accept", JsonAccept)
            .Header("DataServiceVersion", "3.0;NetFx")
            .Header("MaxDataServiceVersion", "3.0;NetFx");

    private string EntityUri(string partitionKey, string rowKey) => TableUris.Entity(_tableUri, partitionKey, rowKey);
}
