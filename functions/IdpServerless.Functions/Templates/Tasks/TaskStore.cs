using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Templates.Actions;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Templates.Tasks;

/// <summary>
/// Tasks in Azure Storage. Table <c>scaffoldertasks</c>: partition <c>task</c> (one row per task), partitions
/// <c>steps-{id}</c> (one row per step), <c>journal-{id}</c> (compensations and effects). Blob container
/// <c>scaffolder</c>: <c>tasks/{id}/spec.json</c> and <c>tasks/{id}/workspace.json</c>.
/// </summary>
public sealed class TaskStore(StorageClient storage, TimeProvider time)
{
    public const string TableName = "scaffoldertasks";
    public const string ContainerName = "scaffolder";
    private const string TaskPartition = "task";
    private readonly TableClient _table = storage.GetTable(TableName);
    private readonly BlobContainerClient _blobs = storage.GetContainer(ContainerName);
    private volatile bool _ready;

    public async Task EnsureAsync(CancellationToken ct)
    {
        if (_ready)
        {
            return;
        }

        await _table.CreateIfNotExistsAsync(ct);
        await _blobs.CreateIfNotExistsAsync(ct);
        _ready = true;
    }

    public async Task CreateAsync(TaskRecord task, JsonObject spec, CancellationToken ct)
    {
        await EnsureAsync(ct);
        await _blobs.UploadAsync($"tasks/{task.Id}/spec.json", JsonSerializer.SerializeToUtf8Bytes(spec), "application/json", ct: ct);
        await _table.AddEntityAsync(ToEntity(task), ct);
    }

    public async Task<TaskRecord?> GetAsync(string id, CancellationToken ct)
    {
        await EnsureAsync(ct);
        var e = await _table.GetEntityAsync(TaskPartition, TableKeys.Escape(id), ct: ct);
        return e is null ? null : FromEntity(e);
    }

    public async Task<JsonObject> GetSpecAsync(string id, CancellationToken ct)
    {
        await EnsureAsync(ct);
        var blob = await _blobs.DownloadAsync($"tasks/{id}/spec.json", ct) ?? throw new InvalidOperationException($"Task {id} has no spec.");
        return JsonNode.Parse(blob.Content.AsSpan()) as JsonObject ?? throw new InvalidOperationException($"Task {id} has a broken spec.");
    }

    /// <summary>Tasks newest first, filtered; the total counts every match.</summary>
    public async Task<(IReadOnlyList<TaskRecord> Items, int Total)> ListAsync(string? createdBy, string? status, int limit, int offset, CancellationToken ct)
    {
        await EnsureAsync(ct);
        var filter = TableFilter.And(
            TableFilter.Eq("PartitionKey", TaskPartition),
            createdBy is null ? null : TableFilter.Eq("CreatedBy", createdBy),
            status is null ? null : TableFilter.Eq("Status", status));
        var all = new List<TaskRecord>();
        await foreach (var e in _table.QueryAsync(filter, ct: ct))
        {
            all.Add(FromEntity(e));
        }

        return (all.OrderByDescending(t => t.CreatedAt).Skip(offset).Take(limit).ToList(), all.Count);
    }

    /// <summary>Merges the given changes into the task row (null arguments leave a field as it is).</summary>
    public async Task UpdateAsync(string id, string? status = null, JsonObject? output = null, string? error = null, bool? cancelRequested = null, int? run = null, CancellationToken ct = default)
    {
        var e = new TableEntity(TaskPartition, TableKeys.Escape(id)) { ["LastHeartbeatAt"] = time.GetUtcNow() };
        if (status is not null)
        {
            e["Status"] = status;
        }

        if (output is not null)
        {
            e["Output"] = output.ToJsonString();
        }

        if (error is not null)
        {
            e["Error"] = error.Length > 4000 ? error[..4000] : error;
        }

        if (cancelRequested is not null)
        {
            e["CancelRequested"] = cancelRequested.Value;
        }

        if (run is not null)
        {
            e["Run"] = run.Value;
        }

        await _table.UpsertEntityAsync(e, TableUpdateMode.Merge, ct);
    }

    /// <summary>Replaces the task row only if it is unchanged since <paramref name="etagOf"/> was read (for status transitions that race).</summary>
    public async Task<bool> TryTransitionAsync(string id, Func<TaskRecord, TaskRecord?> change, CancellationToken ct)
    {
        await EnsureAsync(ct);
        var e = await _table.GetEntityAsync(TaskPartition, TableKeys.Escape(id), ct: ct);
        if (e is null || change(FromEntity(e)) is not { } updated)
        {
            return false;
        }

        try
        {
            await _table.UpdateEntityAsync(ToEntity(updated with { LastHeartbeatAt = time.GetUtcNow() }), e.ETag ?? "*", TableUpdateMode.Replace, ct);
            return true;
        }
        catch (StoragePreconditionFailedException)
        {
            return false;
        }
    }

    public async Task SetStepAsync(string id, StepRecord step, CancellationToken ct)
    {
        var e = new TableEntity($"steps-{TableKeys.Escape(id)}", step.Index.ToString("D3", System.Globalization.CultureInfo.InvariantCulture))
        {
            ["StepId"] = step.Id,
            ["Name"] = step.Name,
            ["Status"] = step.Status,
            ["StartedAt"] = step.StartedAt,
            ["FinishedAt"] = step.FinishedAt,
            ["Output"] = step.Output?.ToJsonString(),
            ["Message"] = step.Message is { Length: > 4000 } m ? m[..4000] : step.Message,
        };
        await _table.UpsertEntityAsync(e, TableUpdateMode.Replace, ct);
    }

    public async Task<IReadOnlyList<StepRecord>> GetStepsAsync(string id, CancellationToken ct)
    {
        await EnsureAsync(ct);
        var steps = new List<StepRecord>();
        await foreach (var e in _table.QueryAsync(TableFilter.Eq("PartitionKey", $"steps-{TableKeys.Escape(id)}"), ct: ct))
        {
            steps.Add(new StepRecord(
                int.Parse(e.RowKey, System.Globalization.CultureInfo.InvariantCulture),
                e.GetString("StepId") ?? string.Empty,
                e.GetString("Name") ?? string.Empty,
                e.GetString("Status") ?? string.Empty,
                e.GetDateTimeOffset("StartedAt"),
                e.GetDateTimeOffset("FinishedAt"),
                e.GetString("Output") is { } o ? JsonNode.Parse(o) as JsonObject : null,
                e.GetString("Message")));
        }

        return steps;
    }

    public async Task<TaskWorkspace> LoadWorkspaceAsync(string id, CancellationToken ct)
    {
        var blob = await _blobs.DownloadAsync($"tasks/{id}/workspace.json", ct);
        return blob is null ? new TaskWorkspace() : TaskWorkspace.Deserialize(blob.Content.AsSpan());
    }

    public Task SaveWorkspaceAsync(string id, TaskWorkspace workspace, CancellationToken ct) =>
        _blobs.UploadAsync($"tasks/{id}/workspace.json", workspace.Serialize(), "application/json", ct: ct);

    /// <summary>The task's journal (compensations, effects) as <see cref="ITaskJournal"/>.</summary>
    public ITaskJournal Journal(string id) => new StoredJournal(_table, id, time);

    public async Task<IReadOnlyList<CompensationRecord>> GetCompensationsAsync(string id, CancellationToken ct)
    {
        var list = new List<CompensationRecord>();
        var filter = TableFilter.And(TableFilter.Eq("PartitionKey", $"journal-{TableKeys.Escape(id)}"), TableFilter.RowKeyPrefix("comp-"));
        await foreach (var e in _table.QueryAsync(filter, ct: ct))
        {
            list.Add(new CompensationRecord(e.GetString("ActionId")!, e.GetString("StepId")!, JsonNode.Parse(e.GetString("Data") ?? "{}") as JsonObject ?? []));
        }

        return list;
    }

    private sealed class StoredJournal(TableClient table, string taskId, TimeProvider time) : ITaskJournal
    {
        private string Partition => $"journal-{TableKeys.Escape(taskId)}";

        public async Task RecordCompensationAsync(CompensationRecord record, CancellationToken cancellationToken)
        {
            // Keyed by time then content, so a retried step records the same undo once more at most (undo is idempotent).
            var key = $"comp-{time.GetUtcNow().UtcTicks:D19}-{TableKeys.Escape(record.StepId)}";
            var data = record.Data.ToJsonString();
            var filter = TableFilter.And(TableFilter.Eq("PartitionKey", Partition), TableFilter.RowKeyPrefix("comp-"), TableFilter.Eq("Data", data), TableFilter.Eq("ActionId", record.ActionId));
            await foreach (var _ in table.QueryAsync(filter, ct: cancellationToken))
            {
                return;
            }

            await table.UpsertEntityAsync(new TableEntity(Partition, key) { ["ActionId"] = record.ActionId, ["StepId"] = record.StepId, ["Data"] = data }, ct: cancellationToken);
        }

        public async Task<JsonObject?> GetEffectAsync(string stepId, string name, CancellationToken cancellationToken)
        {
            var e = await table.GetEntityAsync(Partition, EffectKey(stepId, name), ct: cancellationToken);
            return e?.GetString("Data") is { } d ? JsonNode.Parse(d) as JsonObject : null;
        }

        public Task SetEffectAsync(string stepId, string name, JsonObject effect, CancellationToken cancellationToken) =>
            table.UpsertEntityAsync(new TableEntity(Partition, EffectKey(stepId, name)) { ["Data"] = effect.ToJsonString() }, ct: cancellationToken);

        private static string EffectKey(string stepId, string name) => $"effect-{TableKeys.Escape(stepId)}-{TableKeys.Escape(name)}";
    }

    private static TableEntity ToEntity(TaskRecord t) => new(TaskPartition, TableKeys.Escape(t.Id))
    {
        ["Status"] = t.Status,
        ["TemplateRef"] = t.TemplateRef,
        ["CreatedAt"] = t.CreatedAt,
        ["CreatedBy"] = t.CreatedBy,
        ["LastHeartbeatAt"] = t.LastHeartbeatAt,
        ["Output"] = t.Output?.ToJsonString(),
        ["Error"] = t.Error,
        ["CancelRequested"] = t.CancelRequested,
        ["Run"] = t.Run,
        ["Caller"] = JsonSerializer.Serialize(t.Caller, JsonSerializerOptions.Web),
    };

    private static TaskRecord FromEntity(TableEntity e) => new(
        TableKeys.Unescape(e.RowKey),
        e.GetString("Status") ?? TaskStatuses.Open,
        e.GetString("TemplateRef") ?? string.Empty,
        e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
        e.GetString("CreatedBy") ?? string.Empty,
        e.GetDateTimeOffset("LastHeartbeatAt"),
        e.GetString("Output") is { } o ? JsonNode.Parse(o) as JsonObject : null,
        e.GetString("Error"),
        e.GetBoolean("CancelRequested") ?? false,
        e.GetInt32("Run") ?? 1,
        e.GetString("Caller") is { } c ? JsonSerializer.Deserialize<StoredCaller>(c, JsonSerializerOptions.Web)! : new StoredCaller(e.GetString("CreatedBy") ?? string.Empty, null, null, [], "api"));
}
