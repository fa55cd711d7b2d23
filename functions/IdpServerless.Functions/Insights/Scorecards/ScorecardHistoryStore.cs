using System.Globalization;
using System.Text.Json;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Insights.Scorecards;

/// <summary>One point of a scope's trend: the summary as the snapshot of that hour recorded it.</summary>
public sealed record ScorecardTrendPoint(DateTimeOffset At, int Entities, IReadOnlyList<LevelCount> Levels, int NoLevel, double AverageScore);

/// <summary>One change of an entity's result.</summary>
public sealed record EntityScoreChange(DateTimeOffset At, string? Level, double Score, IReadOnlyList<string> Failed);

/// <summary>
/// Scorecard history in two tables: <c>scorecardhistory</c> holds per scorecard (partition) one row per scope
/// (<c>organisation</c> or a group) and hour (<c>{scope}|yyyyMMddHH</c>, so one scope's trend is one range read);
/// <c>scorecardentities</c> holds per scorecard one row per entity with its last recorded result and the changes
/// before it (the newest <see cref="MaxEntityChanges"/>), written only when the result changed.
/// </summary>
public sealed class ScorecardHistoryStore(StorageClient storage)
{
    public const string ScopesTable = "scorecardhistory";
    public const string EntitiesTable = "scorecardentities";
    public const string Organisation = "organisation";
    public const int MaxEntityChanges = 100;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private bool _ready;

    /// <summary>Records one snapshot at <paramref name="at"/> (the hour's row is replaced if the hour ran before); returns entity rows written.</summary>
    public async Task<int> RecordAsync(IReadOnlyList<(ScorecardDetail Detail, IReadOnlyList<EntityScore> Results)> snapshot, DateTimeOffset at, CancellationToken ct)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var hour = at.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
        var written = 0;
        foreach (var (detail, results) in snapshot)
        {
            var pk = TableKeys.Escape(detail.Scorecard.Ref);
            var rows = new List<TableBatchOperation> { new(TableBatchAction.UpsertReplace, ScopeRow(pk, Organisation, hour, at, detail.Scorecard.Summary)) };
            rows.AddRange(detail.Teams.Select(t => new TableBatchOperation(TableBatchAction.UpsertReplace, ScopeRow(pk, t.Team, hour, at, t.Summary))));
            await SubmitAsync(storage.GetTable(ScopesTable), rows, ct).ConfigureAwait(false);
            written += await RecordEntitiesAsync(pk, results, at, ct).ConfigureAwait(false);
        }

        return written;
    }

    /// <summary>A scope's points since <paramref name="since"/>, oldest first.</summary>
    public async Task<IReadOnlyList<ScorecardTrendPoint>> TrendAsync(string scorecardRef, string scope, DateTimeOffset since, CancellationToken ct)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var prefix = TableKeys.Escape(scope) + "|";
        var filter = TableFilter.And(
            TableFilter.Eq("PartitionKey", TableKeys.Escape(scorecardRef)),
            TableFilter.And(TableFilter.Ge("RowKey", prefix + since.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture)), TableFilter.Lt("RowKey", prefix + "~")));
        var points = new List<ScorecardTrendPoint>();
        await foreach (var row in storage.GetTable(ScopesTable).QueryAsync(filter, ct: ct).ConfigureAwait(false))
        {
            points.Add(new ScorecardTrendPoint(
                row.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue,
                row.GetInt32("Entities") ?? 0,
                JsonSerializer.Deserialize<List<LevelCount>>(row.GetString("Levels") ?? "[]", Json) ?? [],
                row.GetInt32("NoLevel") ?? 0,
                row.GetDouble("AverageScore") ?? 0));
        }

        return points;
    }

    /// <summary>An entity's recorded changes on a scorecard, newest first (empty when none was recorded).</summary>
    public async Task<IReadOnlyList<EntityScoreChange>> EntityHistoryAsync(string scorecardRef, string entityRef, CancellationToken ct)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var row = await storage.GetTable(EntitiesTable).GetEntityAsync(TableKeys.Escape(scorecardRef), TableKeys.Escape(entityRef), ct: ct).ConfigureAwait(false);
        return row is null ? [] : Changes(row);
    }

    private async Task<int> RecordEntitiesAsync(string pk, IReadOnlyList<EntityScore> results, DateTimeOffset at, CancellationToken ct)
    {
        var table = storage.GetTable(EntitiesTable);
        var stored = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        await foreach (var row in table.QueryAsync(TableFilter.Eq("PartitionKey", pk), ct: ct).ConfigureAwait(false))
        {
            stored[row.RowKey] = row;
        }

        var operations = new List<TableBatchOperation>();
        foreach (var result in results)
        {
            var rk = TableKeys.Escape(result.Entity);
            var failed = result.FailedRules.ToList();
            var failedText = string.Join(",", failed);
            if (stored.Remove(rk, out var row) && row.GetString("Level") == result.Level && row.GetDouble("Score") == result.Score && row.GetString("Failed") == failedText)
            {
                continue;
            }

            var changes = row is null ? [] : Changes(row).ToList();
            changes.Insert(0, new EntityScoreChange(at, result.Level, result.Score, failed));
            if (changes.Count > MaxEntityChanges)
            {
                changes.RemoveRange(MaxEntityChanges, changes.Count - MaxEntityChanges);
            }

            operations.Add(new TableBatchOperation(TableBatchAction.UpsertReplace, new TableEntity(pk, rk)
            {
                ["Level"] = result.Level,
                ["Score"] = result.Score,
                ["Failed"] = failedText,
                ["At"] = at,
                ["Changes"] = JsonSerializer.Serialize(changes, Json),
            }));
        }

        // Entities the scorecard no longer applies to (or that left the catalog): their history goes with them.
        operations.AddRange(stored.Values.Select(row => new TableBatchOperation(TableBatchAction.Delete, row, "*")));
        await SubmitAsync(table, operations, ct).ConfigureAwait(false);
        return operations.Count;
    }

    private static IReadOnlyList<EntityScoreChange> Changes(TableEntity row) =>
        JsonSerializer.Deserialize<List<EntityScoreChange>>(row.GetString("Changes") ?? "[]", Json) ?? [];

    private static TableEntity ScopeRow(string pk, string scope, string hour, DateTimeOffset at, ScorecardSummary summary) =>
        new(pk, TableKeys.Escape(scope) + "|" + hour)
        {
            ["Scope"] = scope,
            ["At"] = at,
            ["Entities"] = summary.Entities,
            ["NoLevel"] = summary.NoLevel,
            ["AverageScore"] = summary.AverageScore,
            ["Levels"] = JsonSerializer.Serialize(summary.Levels, Json),
        };

    private static async Task SubmitAsync(TableClient table, List<TableBatchOperation> operations, CancellationToken ct)
    {
        // One transaction holds at most 100 operations of one partition.
        foreach (var chunk in operations.Chunk(100))
        {
            await table.SubmitBatchAsync(chunk, ct).ConfigureAwait(false);
        }
    }

    private async Task EnsureAsync(CancellationToken ct)
    {
        if (_ready)
        {
            return;
        }

        await storage.GetTable(ScopesTable).CreateIfNotExistsAsync(ct).ConfigureAwait(false);
        await storage.GetTable(EntitiesTable).CreateIfNotExistsAsync(ct).ConfigureAwait(false);
        _ready = true;
    }
}
