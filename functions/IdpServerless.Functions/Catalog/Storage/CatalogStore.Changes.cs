using System.Globalization;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Catalog.Storage;

/// <summary>One row of the change log: which entity refs and locations an instance changed.</summary>
public sealed record ChangeRecord(string RowKey, string Instance, IReadOnlyList<string> Refs, IReadOnlyList<string> Locations);

public sealed partial class CatalogStore
{
    private const string ChangePartition = "c";
    private const int MaxRefChars = 30_000;
    private long _sequence;

    private TableClient Changes => storage.GetTable(_options.ChangesTable);

    /// <summary>
    /// Appends rows saying these refs and locations changed. Row keys start with the UTC ticks, so readers can ask for
    /// everything after a time; the instance and a sequence make them unique.
    /// </summary>
    public async Task AppendChangesAsync(string instance, DateTimeOffset now, IReadOnlyCollection<string> refs, IReadOnlyCollection<string> locations, CancellationToken ct)
    {
        var rows = new List<TableEntity>();
        var batch = new List<string>();
        var chars = 0;
        void Flush(IReadOnlyCollection<string> locs)
        {
            var seq = Interlocked.Increment(ref _sequence);
            rows.Add(new TableEntity(ChangePartition, $"{now.UtcTicks:D19}-{instance}-{seq:D10}")
            {
                ["Instance"] = instance,
                ["Refs"] = string.Join('\n', batch),
                ["Locations"] = string.Join('\n', locs),
            });
            batch.Clear();
            chars = 0;
        }

        foreach (var r in refs)
        {
            if (chars + r.Length + 1 > MaxRefChars)
            {
                Flush([]);
            }

            batch.Add(r);
            chars += r.Length + 1;
        }

        Flush(locations);
        foreach (var chunk in rows.Chunk(100))
        {
            await Changes.SubmitBatchAsync(chunk.Select(r => new TableBatchOperation(TableBatchAction.UpsertReplace, r)), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Change rows with keys at or after <paramref name="fromTicks"/>, oldest first.</summary>
    public async Task<List<ChangeRecord>> ReadChangesAsync(long fromTicks, CancellationToken ct)
    {
        var result = new List<ChangeRecord>();
        var filter = TableFilter.And(TableFilter.Eq("PartitionKey", ChangePartition), TableFilter.Ge("RowKey", fromTicks.ToString("D19", CultureInfo.InvariantCulture)));
        await foreach (var row in Changes.QueryAsync(filter, ct: ct).ConfigureAwait(false))
        {
            result.Add(new ChangeRecord(
                row.RowKey,
                row.GetString("Instance") ?? string.Empty,
                Split(row.GetString("Refs")),
                Split(row.GetString("Locations"))));
        }

        return result;
    }

    /// <summary>Deletes change rows older than <paramref name="before"/>.</summary>
    public async Task<int> PruneChangesAsync(DateTimeOffset before, CancellationToken ct)
    {
        var filter = TableFilter.And(TableFilter.Eq("PartitionKey", ChangePartition), TableFilter.Lt("RowKey", before.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)));
        var keys = new List<TableEntity>();
        await foreach (var row in Changes.QueryAsync(filter, select: ["RowKey"], ct: ct).ConfigureAwait(false))
        {
            keys.Add(new TableEntity(ChangePartition, row.RowKey));
        }

        foreach (var chunk in keys.Chunk(100))
        {
            try
            {
                await Changes.SubmitBatchAsync(chunk.Select(k => new TableBatchOperation(TableBatchAction.Delete, k)), ct).ConfigureAwait(false);
            }
            catch (StorageBatchException e) when (e.Status == 404)
            {
                // Another instance pruned some of them first.
            }
        }

        return keys.Count;
    }

    private static string[] Split(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
