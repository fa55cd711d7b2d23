using System.Collections.Concurrent;
using System.Text;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Storage;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Catalog.Storage;

/// <summary>How one entity row is written.</summary>
public enum EntityWriteMode
{
    /// <summary>Insert; fails when another writer created the row first.</summary>
    Insert,

    /// <summary>Replace only if the row still has <see cref="EntityWrite.IfMatch"/>.</summary>
    Replace,

    /// <summary>Insert or replace regardless.</summary>
    Upsert,

    /// <summary>Delete (a missing row is fine).</summary>
    Delete,
}

/// <summary>One entity row write.</summary>
public sealed record EntityWrite(StoredEntity Entity, EntityWriteMode Mode, string? IfMatch = null);

/// <summary>What happened to one write: done (with the row's new ETag) or refused because someone else got there first.</summary>
public sealed record EntityWriteOutcome(EntityWrite Write, bool Succeeded, string? TableETag);

/// <summary>
/// The catalog's Azure Tables. Entities: partition = one of 32 buckets of the ref's hash (so 50,000 entities load in
/// parallel and writes batch up to 100 per partition), row = the escaped ref; the body is split over string properties
/// of at most 30,000 characters. Relations are not stored: they are recomputed in memory from the bodies.
/// </summary>
public sealed partial class CatalogStore(StorageClient storage, IOptions<CatalogOptions> options)
{
    public const int Buckets = 32;
    private const int ChunkChars = 30_000;
    private const int MaxBatchBytes = 3 * 1024 * 1024;
    private readonly CatalogOptions _options = options.Value;

    private TableClient Entities => storage.GetTable(_options.EntitiesTable);

    public async Task EnsureTablesAsync(CancellationToken ct)
    {
        await Entities.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
        await Locations.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
        await Changes.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
    }

    public static string PartitionOf(string refKey)
    {
        // FNV-1a: stable across processes and versions, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in refKey)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return "e" + (hash % Buckets).ToString("x2", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Every stored entity, the buckets read in parallel.</summary>
    public async Task<List<StoredEntity>> LoadAllAsync(CancellationToken ct)
    {
        var result = new ConcurrentBag<StoredEntity>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Buckets), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (bucket, token) =>
        {
            var pk = "e" + bucket.ToString("x2", System.Globalization.CultureInfo.InvariantCulture);
            await foreach (var row in Entities.QueryAsync(TableFilter.Eq("PartitionKey", pk), ct: token).ConfigureAwait(false))
            {
                if (FromRow(row) is { } entity)
                {
                    result.Add(entity);
                }
            }
        }).ConfigureAwait(false);
        return [.. result];
    }

    /// <summary>One entity, or null when its row does not exist.</summary>
    public async Task<StoredEntity?> GetAsync(string refKey, CancellationToken ct)
    {
        var row = await Entities.GetEntityAsync(PartitionOf(refKey), TableKeys.Escape(refKey), ct: ct).ConfigureAwait(false);
        return row is null ? null : FromRow(row);
    }

    /// <summary>
    /// Writes in atomic batches per partition (100 rows, 3 MiB at most), several batches at once. A batch refused for
    /// a concurrency reason (409/412) is retried row by row so every other write still lands; the refused ones are
    /// reported, never half-applied.
    /// </summary>
    public async Task<List<EntityWriteOutcome>> WriteAsync(IReadOnlyList<EntityWrite> writes, CancellationToken ct)
    {
        var chunks = new List<List<(EntityWrite Write, TableEntity Row)>>();
        foreach (var group in writes.GroupBy(w => PartitionOf(w.Entity.RefKey)))
        {
            var chunk = new List<(EntityWrite, TableEntity)>();
            var bytes = 0;
            foreach (var write in group)
            {
                var row = ToRow(write.Entity);
                var size = write.Mode == EntityWriteMode.Delete ? 256 : write.Entity.Body.Length * 2 + 1024;
                if (chunk.Count == 100 || (chunk.Count > 0 && bytes + size > MaxBatchBytes))
                {
                    chunks.Add(chunk);
                    chunk = [];
                    bytes = 0;
                }

                chunk.Add((write, row));
                bytes += size;
            }

            if (chunk.Count > 0)
            {
                chunks.Add(chunk);
            }
        }

        var outcomes = new ConcurrentBag<EntityWriteOutcome>();
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (chunk, token) =>
        {
            try
            {
                var results = await Entities.SubmitBatchAsync(chunk.Select(c => ToOperation(c.Write, c.Row)), token).ConfigureAwait(false);
                for (var i = 0; i < chunk.Count; i++)
                {
                    outcomes.Add(new EntityWriteOutcome(chunk[i].Write, true, results[i].ETag));
                }
            }
            catch (StorageBatchException e) when (e.Status is 404 or 409 or 412)
            {
                foreach (var (write, row) in chunk)
                {
                    outcomes.Add(await WriteOneAsync(write, row, token).ConfigureAwait(false));
                }
            }
        }).ConfigureAwait(false);
        return [.. outcomes];
    }

    private async Task<EntityWriteOutcome> WriteOneAsync(EntityWrite write, TableEntity row, CancellationToken ct)
    {
        try
        {
            var etag = write.Mode switch
            {
                EntityWriteMode.Insert => await Entities.AddEntityAsync(row, ct).ConfigureAwait(false),
                EntityWriteMode.Replace => await Entities.UpdateEntityAsync(row, write.IfMatch ?? "*", ct: ct).ConfigureAwait(false),
                EntityWriteMode.Upsert => await Entities.UpsertEntityAsync(row, ct: ct).ConfigureAwait(false),
                _ => await DeleteRowAsync(row, write.IfMatch, ct).ConfigureAwait(false),
            };
            return new EntityWriteOutcome(write, true, etag);
        }
        catch (StorageException e) when (e is StorageConflictException or StoragePreconditionFailedException or StorageNotFoundException)
        {
            return new EntityWriteOutcome(write, false, null);
        }
    }

    private async Task<string?> DeleteRowAsync(TableEntity row, string? ifMatch, CancellationToken ct)
    {
        try
        {
            await Entities.DeleteEntityAsync(row.PartitionKey, row.RowKey, ifMatch ?? "*", ct).ConfigureAwait(false);
        }
        catch (StorageNotFoundException)
        {
            // Already gone: the outcome the delete wanted.
        }

        return null;
    }

    private static TableBatchOperation ToOperation(EntityWrite write, TableEntity row) => write.Mode switch
    {
        EntityWriteMode.Insert => new TableBatchOperation(TableBatchAction.Add, row),
        EntityWriteMode.Replace => new TableBatchOperation(TableBatchAction.UpdateReplace, row, write.IfMatch ?? "*"),
        EntityWriteMode.Upsert => new TableBatchOperation(TableBatchAction.UpsertReplace, row),
        _ => new TableBatchOperation(TableBatchAction.Delete, row, write.IfMatch ?? "*"),
    };

    private static TableEntity ToRow(StoredEntity e)
    {
        var row = new TableEntity(PartitionOf(e.RefKey), TableKeys.Escape(e.RefKey))
        {
            ["Uid"] = e.Uid,
            ["Etag"] = e.Etag,
            ["LocationId"] = e.LocationId,
            ["ParentRef"] = e.ParentRef,
            ["RefreshedAt"] = e.RefreshedAt,
            ["Hash"] = e.Hash,
        };
        var text = Encoding.UTF8.GetString(e.Body);
        var index = 0;
        for (var start = 0; start < text.Length; index++)
        {
            var length = Math.Min(ChunkChars, text.Length - start);
            if (start + length < text.Length && char.IsHighSurrogate(text[start + length - 1]))
            {
                length--;
            }

            row["Body" + index] = text.Substring(start, length);
            start += length;
        }

        row["BodyChunks"] = index;
        return row;
    }

    private static StoredEntity? FromRow(TableEntity row)
    {
        if (row.GetInt32("BodyChunks") is not { } chunks || row.GetString("Uid") is not { } uid)
        {
            return null;
        }

        var sb = new StringBuilder();
        for (var i = 0; i < chunks; i++)
        {
            sb.Append(row.GetString("Body" + i));
        }

        return new StoredEntity(
            TableKeys.Unescape(row.RowKey),
            uid,
            row.GetString("Etag") ?? string.Empty,
            row.GetString("LocationId"),
            row.GetString("ParentRef"),
            row.GetDateTimeOffset("RefreshedAt") ?? DateTimeOffset.MinValue,
            row.GetString("Hash") ?? string.Empty,
            Encoding.UTF8.GetBytes(sb.ToString()),
            row.ETag);
    }
}
