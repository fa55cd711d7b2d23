using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Templates.Tasks;

/// <summary>
/// A task's log in table <c>scaffolderevents</c>: partition = task id, row = a per-task sequence number, so event ids
/// are small increasing integers (what <c>Last-Event-ID</c> and <c>?after=</c> compare) no matter which instance wrote
/// them. An append takes the next number with an insert; a clash with another writer moves on to the next.
/// </summary>
public sealed class TaskEventLog(StorageClient storage, TimeProvider time)
{
    public const string TableName = "scaffolderevents";
    public const int MaxMessageLength = 8 * 1024;
    private readonly TableClient _table = storage.GetTable(TableName);
    private readonly ConcurrentDictionary<string, long> _next = new(StringComparer.Ordinal);
    private volatile bool _ready;

    public async Task<TaskEvent> AppendAsync(string taskId, string type, JsonObject body, CancellationToken ct)
    {
        await EnsureAsync(ct);
        if (body["message"] is JsonValue m && m.TryGetValue<string>(out var message) && message.Length > MaxMessageLength)
        {
            body["message"] = message[..MaxMessageLength] + "…";
        }

        var pk = TableKeys.Escape(taskId);
        if (!_next.TryGetValue(taskId, out var seq))
        {
            seq = await LastAsync(pk, ct) + 1;
        }

        for (var attempt = 0; attempt < 50; attempt++)
        {
            var at = time.GetUtcNow();
            try
            {
                await _table.AddEntityAsync(new TableEntity(pk, Key(seq)) { ["Type"] = type, ["Body"] = body.ToJsonString(), ["CreatedAt"] = at }, ct);
                _next[taskId] = seq + 1;
                TrimCache();
                return new TaskEvent(seq, taskId, type, body, at);
            }
            catch (StorageConflictException)
            {
                seq = Math.Max(seq + 1, await LastAsync(pk, ct) + 1);
            }
        }

        throw new InvalidOperationException($"Could not append to the log of task {taskId}: too many concurrent writers.");
    }

    /// <summary>Events with an id greater than <paramref name="after"/>, oldest first, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<TaskEvent>> ReadAsync(string taskId, long after, int max, CancellationToken ct)
    {
        await EnsureAsync(ct);
        var pk = TableKeys.Escape(taskId);
        var result = new List<TaskEvent>();
        var filter = TableFilter.And(TableFilter.Eq("PartitionKey", pk), TableFilter.Gt("RowKey", Key(Math.Max(0, after))));
        await foreach (var e in _table.QueryAsync(filter, maxPerPage: Math.Min(max, 1000), ct: ct))
        {
            result.Add(new TaskEvent(
                long.Parse(e.RowKey, CultureInfo.InvariantCulture),
                taskId,
                e.GetString("Type") ?? "log",
                JsonNode.Parse(e.GetString("Body") ?? "{}") as JsonObject ?? [],
                e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue));
            if (result.Count >= max)
            {
                break;
            }
        }

        return result;
    }

    private async Task<long> LastAsync(string pk, CancellationToken ct)
    {
        long last = 0;
        await foreach (var e in _table.QueryAsync(TableFilter.Eq("PartitionKey", pk), select: ["RowKey"], ct: ct))
        {
            last = Math.Max(last, long.Parse(e.RowKey, CultureInfo.InvariantCulture));
        }

        return last;
    }

    private async Task EnsureAsync(CancellationToken ct)
    {
        if (!_ready)
        {
            await _table.CreateIfNotExistsAsync(ct);
            _ready = true;
        }
    }

    private void TrimCache()
    {
        if (_next.Count > 10_000)
        {
            _next.Clear();
        }
    }

    private static string Key(long seq) => seq.ToString("D10", CultureInfo.InvariantCulture);
}
