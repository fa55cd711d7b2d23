using System.Text;
using System.Text.Json;
using IdpServerless.Storage;

namespace IdpServerless.Durable.Storage;

/// <summary>One committed episode: its events and who wrote them when.</summary>
internal sealed record EpisodeRow(long Row, long Episode, string ExecutionId, string? Worker, DateTimeOffset StartedAt, DateTimeOffset CommittingAt, IReadOnlyList<StoredEvent> Events);

/// <summary>The history partition of one instance as loaded: state row (with its ETag) and the current execution's episodes.</summary>
internal sealed record LoadedHistory(InstanceState? State, string? ETag, List<EpisodeRow> Episodes);

/// <summary>
/// The History table. Partition = instance; row <c>state</c> holds the <see cref="InstanceState"/>; rows with
/// zero-padded sequence keys hold one episode's events each (JSON, split over properties of at most 30,000
/// characters, or a blob when very large). Every append is one entity group transaction that also replaces the state
/// row with If-Match: so two writers can never both advance an instance, and events and state never disagree.
/// </summary>
internal sealed class HistoryStore(TaskHub hub)
{
    public const string StateRow = "state";
    private const int MaxPropertyChars = 30_000;
    private const int MaxInlineChars = 14 * MaxPropertyChars;

    public static string Key(string instanceId) => TableKeys.Escape(instanceId);

    public async Task<LoadedHistory> LoadAsync(string instanceId, CancellationToken ct)
    {
        var pk = Key(instanceId);
        var stateEntity = await hub.History.GetEntityAsync(pk, StateRow, ct: ct).ConfigureAwait(false);
        if (stateEntity is null)
        {
            return new LoadedHistory(null, null, []);
        }

        var state = InstanceState.FromEntity(stateEntity);
        var episodes = await ReadEpisodesAsync(instanceId, state.HistoryStart, state.LastRow, ct).ConfigureAwait(false);
        return new LoadedHistory(state, stateEntity.ETag, episodes);
    }

    /// <summary>Episode rows <paramref name="from"/>..<paramref name="to"/> (rows past <paramref name="to"/> belong to no commit and are ignored).</summary>
    public async Task<List<EpisodeRow>> ReadEpisodesAsync(string instanceId, long from, long to, CancellationToken ct)
    {
        var result = new List<EpisodeRow>();
        if (to < from)
        {
            return result;
        }

        var filter = TableFilter.And(
            TableFilter.Eq("PartitionKey", Key(instanceId)),
            TableFilter.Ge("RowKey", InstanceState.RowKey(from)),
            TableFilter.Le("RowKey", InstanceState.RowKey(to)));
        await foreach (var e in hub.History.QueryAsync(filter, ct: ct).ConfigureAwait(false))
        {
            result.Add(await ReadRowAsync(e, ct).ConfigureAwait(false));
        }

        result.Sort((a, b) => a.Row.CompareTo(b.Row));
        return result;
    }

    /// <summary>
    /// Appends <paramref name="episode"/> and replaces the state row, atomically, if the state row still has
    /// <paramref name="etag"/> (null: the instance must not exist yet). Returns the state row's new ETag;
    /// <see cref="HistoryConflictException"/> when someone else advanced the instance first.
    /// </summary>
    public async Task<string> CommitAsync(InstanceState state, string? etag, EpisodeRow? episode, CancellationToken ct)
    {
        var pk = Key(state.InstanceId);
        var ops = new List<TableBatchOperation>(2);
        if (episode is not null)
        {
            ops.Add(new TableBatchOperation(TableBatchAction.UpsertReplace, await ToEntityAsync(pk, episode, ct).ConfigureAwait(false)));
        }

        var stateEntity = state.ToEntity(pk, StateRow);
        ops.Add(etag is null
            ? new TableBatchOperation(TableBatchAction.Add, stateEntity)
            : new TableBatchOperation(TableBatchAction.UpdateReplace, stateEntity, etag));
        try
        {
            var results = await hub.History.SubmitBatchAsync(ops, ct).ConfigureAwait(false);
            return results[^1].ETag ?? throw new InvalidOperationException("The history commit returned no ETag.");
        }
        catch (StorageBatchException e) when (e.Status is 409 or 412 or 404)
        {
            throw new HistoryConflictException(state.InstanceId, e);
        }
    }

    /// <summary>Records that the episode's messages went out (a merge on the state row); returns the new ETag.</summary>
    public async Task<string> MarkSentAsync(string instanceId, long episode, string etag, CancellationToken ct)
    {
        var e = new TableEntity(Key(instanceId), StateRow) { ["SentEpisode"] = episode };
        try
        {
            return await hub.History.UpdateEntityAsync(e, etag, TableUpdateMode.Merge, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StoragePreconditionFailedException or StorageNotFoundException)
        {
            throw new HistoryConflictException(instanceId, ex);
        }
    }

    /// <summary>Deletes every row of the instance (state row last is not needed: purge runs on finished instances only).</summary>
    public async Task DeleteAllAsync(string instanceId, CancellationToken ct)
    {
        var pk = Key(instanceId);
        var keys = new List<string>();
        await foreach (var e in hub.History.QueryAsync(TableFilter.Eq("PartitionKey", pk), select: ["RowKey"], ct: ct).ConfigureAwait(false))
        {
            keys.Add(e.RowKey);
        }

        foreach (var chunk in keys.Chunk(100))
        {
            await hub.History.SubmitBatchAsync(chunk.Select(rk => new TableBatchOperation(TableBatchAction.Delete, new TableEntity(pk, rk))), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Best effort: removes rows of earlier executions (before <paramref name="before"/>), which loads never read.</summary>
    public async Task DeleteRowsBeforeAsync(string instanceId, long before, CancellationToken ct)
    {
        var pk = Key(instanceId);
        var filter = TableFilter.And(TableFilter.Eq("PartitionKey", pk), TableFilter.Lt("RowKey", InstanceState.RowKey(before)));
        var keys = new List<string>();
        await foreach (var e in hub.History.QueryAsync(filter, select: ["RowKey"], ct: ct).ConfigureAwait(false))
        {
            keys.Add(e.RowKey);
        }

        foreach (var chunk in keys.Chunk(100))
        {
            await hub.History.SubmitBatchAsync(chunk.Select(rk => new TableBatchOperation(TableBatchAction.Delete, new TableEntity(pk, rk))), ct).ConfigureAwait(false);
        }
    }

    private async Task<TableEntity> ToEntityAsync(string pk, EpisodeRow episode, CancellationToken ct)
    {
        var e = new TableEntity(pk, InstanceState.RowKey(episode.Row))
        {
            ["Episode"] = episode.Episode,
            ["ExecutionId"] = episode.ExecutionId,
            ["Worker"] = episode.Worker,
            ["StartedAt"] = episode.StartedAt,
            ["CommittingAt"] = episode.CommittingAt,
            ["EventCount"] = episode.Events.Count,
        };
        var json = JsonSerializer.Serialize(episode.Events, MessageJson.Options);
        if (json.Length > MaxInlineChars)
        {
            var name = TableKeys.Unescape(pk) + "/history-" + episode.Row.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N");
            await hub.Payloads.UploadAsync(name, Encoding.UTF8.GetBytes(json), "application/json", ct: ct).ConfigureAwait(false);
            e["EventsBlob"] = name;
            return e;
        }

        var parts = 0;
        for (var i = 0; i < json.Length; i += MaxPropertyChars)
        {
            e["Events" + parts++] = json.Substring(i, Math.Min(MaxPropertyChars, json.Length - i));
        }

        e["EventParts"] = parts;
        return e;
    }

    private async Task<EpisodeRow> ReadRowAsync(TableEntity e, CancellationToken ct)
    {
        string json;
        if (e.GetString("EventsBlob") is { } blob)
        {
            var content = await hub.Payloads.DownloadAsync(blob, ct).ConfigureAwait(false)
                          ?? throw new InvalidOperationException($"History blob '{blob}' is missing.");
            json = Encoding.UTF8.GetString(content.Content);
        }
        else
        {
            var parts = e.GetInt32("EventParts") ?? 0;
            var sb = new StringBuilder();
            for (var i = 0; i < parts; i++)
            {
                sb.Append(e.GetString("Events" + i));
            }

            json = sb.ToString();
        }

        var events = json.Length == 0 ? [] : JsonSerializer.Deserialize<List<StoredEvent>>(json, MessageJson.Options) ?? [];
        return new EpisodeRow(
            long.Parse(e.RowKey, System.Globalization.CultureInfo.InvariantCulture),
            e.GetInt64("Episode") ?? 0,
            e.GetString("ExecutionId") ?? string.Empty,
            e.GetString("Worker"),
            e.GetDateTimeOffset("StartedAt") ?? DateTimeOffset.MinValue,
            e.GetDateTimeOffset("CommittingAt") ?? DateTimeOffset.MinValue,
            events);
    }
}

/// <summary>Another writer advanced the instance first (the state row's ETag moved): reload and try again.</summary>
internal sealed class HistoryConflictException(string instanceId, Exception inner)
    : Exception($"Orchestration instance '{instanceId}' was advanced by another writer.", inner);
