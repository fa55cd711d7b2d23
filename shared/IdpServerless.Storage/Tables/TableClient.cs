using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using IdpServerless.Storage.Internal;
using SdkEntity = Azure.Data.Tables.TableEntity;
using SdkTableClient = Azure.Data.Tables.TableClient;

namespace IdpServerless.Storage;

/// <summary>
/// Entities of one table through Azure.Data.Tables, with our typed exceptions and batch checks.
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
    private readonly SdkTableClient _table;
    private readonly string _path;

    internal TableClient(SdkTableClient table, StorageAccount account, string name)
    {
        _table = table;
        Name = name;
        _path = StorageNames.Path(account.TableEndpoint, name);
    }

    public string Name { get; }

    /// <summary>The SDK's client for this table.</summary>
    public SdkTableClient Sdk => _table;

    /// <summary>Creates the table; an existing table is fine.</summary>
    public Task CreateIfNotExistsAsync(CancellationToken ct = default) =>
        StorageErrors.RunAsync("Create table", _path, c => _table.CreateIfNotExistsAsync(c), ct);

    /// <summary>Deletes the table; a missing table is fine.</summary>
    public Task DeleteTableAsync(CancellationToken ct = default) =>
        StorageErrors.RunAsync("Delete table", _path, c => _table.DeleteAsync(c), ct);

    /// <summary>Point read; null when the entity does not exist. With <paramref name="select"/> the keys are always included.</summary>
    public Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        return StorageErrors.RunAsync("Get entity", _path, async c =>
        {
            var response = await _table.GetEntityIfExistsAsync<SdkEntity>(partitionKey, rowKey, TableEntities.Select(select), c).ConfigureAwait(false);
            return response.HasValue ? TableEntities.FromSdk(response.Value!) : null;
        }, ct);
    }

    /// <summary>Inserts; returns the new ETag. <see cref="StorageConflictException"/> when the entity exists.</summary>
    public Task<string> AddEntityAsync(TableEntity entity, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return StorageErrors.RunAsync("Insert entity", _path, async c =>
            ETagOf(await _table.AddEntityAsync(TableEntities.ToSdk(entity), c).ConfigureAwait(false)), ct);
    }

    /// <summary>Insert-or-replace / insert-or-merge without a condition; returns the new ETag.</summary>
    public Task<string> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return StorageErrors.RunAsync("Upsert entity", _path, async c =>
            ETagOf(await _table.UpsertEntityAsync(TableEntities.ToSdk(entity), Mode(mode), c).ConfigureAwait(false)), ct);
    }

    /// <summary>
    /// Conditional replace/merge with If-Match (an ETag or "*"); returns the new ETag.
    /// <see cref="StoragePreconditionFailedException"/> on a stale ETag, <see cref="StorageNotFoundException"/> when missing.
    /// </summary>
    public Task<string> UpdateEntityAsync(TableEntity entity, string ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        return StorageErrors.RunAsync("Update entity", _path, async c =>
            ETagOf(await _table.UpdateEntityAsync(TableEntities.ToSdk(entity), new ETag(ifMatch), Mode(mode), c).ConfigureAwait(false)), ct);
    }

    /// <summary>Deletes with If-Match (default "*"). <see cref="StorageNotFoundException"/> when missing.</summary>
    public Task DeleteEntityAsync(string partitionKey, string rowKey, string ifMatch = "*", CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        return StorageErrors.RunAsync("Delete entity", _path, async c =>
        {
            // The SDK treats a missing entity as success; our contract reports it.
            var response = await _table.DeleteEntityAsync(partitionKey, rowKey, new ETag(ifMatch), c).ConfigureAwait(false);
            if (response.Status == 404)
            {
                throw StorageErrors.Create(404, "ResourceNotFound", null, "Delete entity", _path);
            }
        }, ct);
    }

    /// <summary>
    /// One page (at most 1000, or <paramref name="top"/>) of a query. Build filters with <see cref="TableFilter"/>.
    /// With <paramref name="select"/> the keys are always included.
    /// </summary>
    public Task<TablePage> QueryPageAsync(string? filter = null, int? top = null, IEnumerable<string>? select = null, TableContinuation? continuation = null, CancellationToken ct = default)
    {
        if (top is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(top), top, "top must be 1..1000.");
        }

        var selected = TableEntities.Select(select);
        return StorageErrors.RunAsync("Query entities", _path, async c =>
        {
            var pages = _table.QueryAsync<SdkEntity>(filter, top, selected, c).AsPages(TableEntities.Token(continuation), top);
            await foreach (var page in pages.ConfigureAwait(false))
            {
                var items = new List<TableEntity>(page.Values.Count);
                foreach (var e in page.Values)
                {
                    items.Add(TableEntities.FromSdk(e));
                }

                return new TablePage(items, TableEntities.Continuation(page.ContinuationToken));
            }

            return new TablePage([], null);
        }, ct);
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
    /// Limits are checked before anything is sent (<see cref="ArgumentException"/>; Azurite does not enforce
    /// the single-partition rule that Azure does). On failure nothing is applied and
    /// <see cref="StorageBatchException"/> carries the failing operation's index.
    /// </summary>
    public async Task<IReadOnlyList<TableBatchResult>> SubmitBatchAsync(IEnumerable<TableBatchOperation> operations, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var ops = operations as IReadOnlyList<TableBatchOperation> ?? operations.ToList();
        TableBatches.Validate(ops);
        var actions = new List<TableTransactionAction>(ops.Count);
        foreach (var op in ops)
        {
            actions.Add(TableBatches.ToSdk(op));
        }

        try
        {
            var response = await _table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
            var results = new TableBatchResult[response.Value.Count];
            for (var i = 0; i < results.Length; i++)
            {
                var r = response.Value[i];
                results[i] = new TableBatchResult(r.Status, r.Headers.ETag?.ToString());
            }

            return results;
        }
        catch (TableTransactionFailedException e)
        {
            var index = e.FailedTransactionActionIndex ?? -1;
            throw new StorageBatchException(
                $"Submit batch {_path} failed at operation {index} with {e.Status} ({e.ErrorCode ?? "no error code"}).",
                e.Status, e.ErrorCode, index, e);
        }
        catch (Exception e) when (StorageErrors.Map(e, "Submit batch", _path, ct) is { } mapped)
        {
            throw mapped;
        }
    }

    private static string ETagOf(Response response) => response.Headers.ETag?.ToString() ?? string.Empty;

    private static Azure.Data.Tables.TableUpdateMode Mode(TableUpdateMode mode) =>
        mode == TableUpdateMode.Merge ? Azure.Data.Tables.TableUpdateMode.Merge : Azure.Data.Tables.TableUpdateMode.Replace;
}
