using System.Globalization;
using System.Text;
using System.Text.Json;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Deployments;

/// <summary>What an environment of a component runs and whether a release is under way there.</summary>
public sealed record EnvironmentState(string Component, string Environment, string? CurrentVersion, string? CurrentDeploymentId, string? CurrentBy, DateTimeOffset? CurrentAt, string? ActiveDeploymentId, string? ETag);

/// <summary>
/// Deployments in Azure Tables. <c>deployments</c>: one row per deployment in its component's partition, row key
/// newest-first (inverted ticks + id) so a page of history is one range read; plus an <c>id</c> partition mapping
/// ids to those keys. <c>deployenvs</c>: per component (partition) one row per environment with the running version,
/// and beside it, while a release is under way, that environment's lock row (<c>~lock:{environment}</c>) naming the
/// active deployment: one release per environment at a time. Taking a free lock is a single insert; a finished release
/// updates its environment and deletes its lock in one entity group transaction.
/// </summary>
public sealed partial class DeploymentStore(StorageClient storage, ILogger<DeploymentStore> logger)
{
    public const string DeploymentsTable = "deployments";
    public const string EnvironmentsTable = "deployenvs";
    private const string IdPartition = "id";
    private const string LockPrefix = "~lock:";
    private const string HolderProperty = "DeploymentId";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private Task? _ready;

    public static string RowKeyFor(DeploymentRecord r) =>
        (DateTimeOffset.MaxValue.UtcTicks - r.CreatedAt.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "-" + r.Id;

    public async Task CreateAsync(DeploymentRecord record, CancellationToken ct)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var table = storage.GetTable(DeploymentsTable);
        var pk = TableKeys.Escape(record.Component);
        var rk = RowKeyFor(record);
        await Task.WhenAll(
            table.AddEntityAsync(new TableEntity(IdPartition, record.Id) { ["Component"] = record.Component, ["Row"] = rk }, ct),
            InsertRecordAsync()).ConfigureAwait(false);

        // Insert, never replace: the orchestration (started at the same time) may already have saved a newer state.
        async Task InsertRecordAsync()
        {
            try
            {
                await table.AddEntityAsync(ToEntity(record, pk, rk), ct).ConfigureAwait(false);
            }
            catch (StorageConflictException)
            {
                // The orchestration was faster: its record wins.
            }
        }
    }

    /// <summary>
    /// Writes the record; when it is finished, first updates the environment (running version) and frees its lock, so
    /// whoever sees the finished record can promote from it or start the next release at once.
    /// </summary>
    /// <remarks>
    /// Saves come from an activity, which runs at least once: after a crash a save the orchestration made long ago can
    /// run again after newer ones (its work item reappears when its visibility ends). So a record replaces the stored
    /// one only if it is at least as new (<see cref="DeploymentRecord.UpdatedAt"/>, the orchestration's own clock), with
    /// the stored row's ETag; an older one is dropped, and with it the environment update it would have made.
    /// </remarks>
    /// <summary>Raised on this instance after a finished record is saved (for views derived from deployments; must be quick).</summary>
    public event Action<DeploymentRecord>? Finished;

    public async Task SaveAsync(DeploymentRecord record, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(record);
        await EnsureAsync(ct).ConfigureAwait(false);
        var table = storage.GetTable(DeploymentsTable);
        var (pk, rk) = (TableKeys.Escape(record.Component), RowKeyFor(record));
        for (var attempt = 0; ; attempt++)
        {
            var current = await table.GetEntityAsync(pk, rk, ct: ct).ConfigureAwait(false);
            if (current is not null && StoredUpdatedAt(current) > record.UpdatedAt)
            {
                LogStaleSave(logger, record.Id, record.Status, record.UpdatedAt);
                return;
            }

            if (attempt == 0 && DeploymentStatuses.IsFinished(record.Status))
            {
                await FinishEnvironmentAsync(record, ct).ConfigureAwait(false);
            }

            try
            {
                var entity = ToEntity(record, pk, rk);
                _ = current is null
                    ? await table.AddEntityAsync(entity, ct).ConfigureAwait(false)
                    : await table.UpdateEntityAsync(entity, current.ETag!, ct: ct).ConfigureAwait(false);
                if (DeploymentStatuses.IsFinished(record.Status))
                {
                    Finished?.Invoke(record);
                }

                return;
            }
            catch (Exception e) when (e is StorageConflictException or StoragePreconditionFailedException && attempt < 10)
            {
                // Another save (or the creation) got there first: read again and compare.
            }
        }
    }

    private static DateTimeOffset StoredUpdatedAt(TableEntity row) =>
        row.GetDateTimeOffset("UpdatedAt") ?? FromEntity(row).UpdatedAt;

    private async Task FinishEnvironmentAsync(DeploymentRecord record, CancellationToken ct)
    {
        var envs = storage.GetTable(EnvironmentsTable);
        var (pk, rk) = (TableKeys.Escape(record.Component), TableKeys.Escape(record.Environment));
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var readRow = envs.GetEntityAsync(pk, rk, ct: ct);
            var readLock = envs.GetEntityAsync(pk, LockKey(record.Environment), ct: ct);
            var row = await readRow.ConfigureAwait(false) ?? new TableEntity(pk, rk);
            var held = await readLock.ConfigureAwait(false);
            var operations = new List<TableBatchOperation>(2);
            if (record.Status == DeploymentStatuses.Succeeded && row.GetString("CurrentDeploymentId") != record.Id)
            {
                row["CurrentVersion"] = record.Version;
                row["CurrentDeploymentId"] = record.Id;
                row["CurrentBy"] = record.RequestedBy;
                row["CurrentAt"] = record.FinishedAt ?? record.UpdatedAt;
                operations.Add(row.ETag is null ? new TableBatchOperation(TableBatchAction.Add, row) : new TableBatchOperation(TableBatchAction.UpdateReplace, row, row.ETag));
            }

            if (held?.GetString(HolderProperty) == record.Id)
            {
                operations.Add(new TableBatchOperation(TableBatchAction.Delete, held, held.ETag));
            }

            if (operations.Count == 0)
            {
                return;
            }

            try
            {
                // One transaction: nobody sees the lock free while the environment still names the previous version.
                await envs.SubmitBatchAsync(operations, ct).ConfigureAwait(false);
                return;
            }
            catch (StorageException e) when (e.Status is 404 or 409 or 412)
            {
                // Another writer changed a row (or took over the lock) meanwhile: read both again.
            }
        }
    }

    public async Task<DeploymentRecord?> GetAsync(string id, CancellationToken ct)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var table = storage.GetTable(DeploymentsTable);
        var index = await table.GetEntityAsync(IdPartition, TableKeys.Escape(id), ct: ct).ConfigureAwait(false);
        if (index?.GetString("Component") is not { } component || index.GetString("Row") is not { } row)
        {
            return null;
        }

        var entity = await table.GetEntityAsync(TableKeys.Escape(component), row, ct: ct).ConfigureAwait(false);
        return entity is null ? null : FromEntity(entity);
    }

    /// <summary>A page of deployments, newest first; the cursor is opaque.</summary>
    public async Task<(IReadOnlyList<DeploymentRecord> Items, string? NextCursor)> ListAsync(string? component, string? environment, string? status, int limit, string? cursor, CancellationToken ct)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var filter = TableFilter.And(
            component is null ? TableFilter.Ne("PartitionKey", IdPartition) : TableFilter.Eq("PartitionKey", TableKeys.Escape(component)),
            environment is null ? null : TableFilter.Eq("Environment", environment),
            status is null ? null : TableFilter.Eq("Status", status));
        var continuation = DecodeCursor(cursor);
        var items = new List<DeploymentRecord>();
        var table = storage.GetTable(DeploymentsTable);
        do
        {
            var page = await table.QueryPageAsync(filter, top: limit - items.Count, continuation: continuation, ct: ct).ConfigureAwait(false);
            items.AddRange(page.Items.Select(FromEntity));
            continuation = page.Continuation;
        }
        while (items.Count < limit && continuation is not null);

        return (items, continuation is null ? null : EncodeCursor(continuation));
    }

    /// <summary>
    /// Every deployment created at or after <paramref name="since"/>: of the given components (one partition query each,
    /// eight at a time), or of all of them (one scan filtered on the indexed <c>CreatedAt</c> column) when null.
    /// </summary>
    public async Task<List<DeploymentRecord>> ListSinceAsync(IReadOnlyCollection<string>? components, DateTimeOffset since, CancellationToken ct)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var table = storage.GetTable(DeploymentsTable);
        if (components is null)
        {
            var all = new List<DeploymentRecord>();
            await foreach (var e in table.QueryAsync(TableFilter.And(TableFilter.Ne("PartitionKey", IdPartition), TableFilter.Ge("CreatedAt", since)), ct: ct).ConfigureAwait(false))
            {
                all.Add(FromEntity(e));
            }

            return all;
        }

        var found = new System.Collections.Concurrent.ConcurrentBag<DeploymentRecord>();
        await Parallel.ForEachAsync(components, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (component, token) =>
        {
            await foreach (var e in table.QueryAsync(TableFilter.And(TableFilter.Eq("PartitionKey", TableKeys.Escape(component)), TableFilter.Ge("CreatedAt", since)), ct: token).ConfigureAwait(false))
            {
                found.Add(FromEntity(e));
            }
        }).ConfigureAwait(false);
        return [.. found];
    }

    public async Task<IReadOnlyList<EnvironmentState>> GetEnvironmentsAsync(string component, CancellationToken ct)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var rows = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        var holders = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var e in storage.GetTable(EnvironmentsTable).QueryAsync(TableFilter.Eq("PartitionKey", TableKeys.Escape(component)), ct: ct).ConfigureAwait(false))
        {
            if (e.RowKey.StartsWith(LockPrefix, StringComparison.Ordinal))
            {
                if (e.GetString(HolderProperty) is { Length: > 0 } holder)
                {
                    holders[TableKeys.Unescape(e.RowKey[LockPrefix.Length..])] = holder;
                }
            }
            else
            {
                rows[TableKeys.Unescape(e.RowKey)] = e;
            }
        }

        // An environment being deployed for the first time has a lock row and no state row yet.
        return rows.Keys.Union(holders.Keys, StringComparer.Ordinal)
            .Select(env => rows.TryGetValue(env, out var e)
                ? ToState(component, env, e, holders.GetValueOrDefault(env))
                : new EnvironmentState(component, env, null, null, null, null, holders[env], null))
            .ToList();
    }

    /// <summary>
    /// Makes <paramref name="deploymentId"/> the environment's active release unless another one holds it;
    /// <paramref name="isStale"/> says whether a holder may be replaced (it finished without freeing the lock).
    /// Returns the holder's id when the lock is taken. A free environment costs one insert: the trigger's hot path.
    /// </summary>
    public async Task<string?> TryAcquireAsync(string component, string environment, string deploymentId, Func<string, Task<bool>> isStale, CancellationToken ct)
    {
        await EnsureAsync(ct).ConfigureAwait(false);
        var envs = storage.GetTable(EnvironmentsTable);
        var (pk, rk) = (TableKeys.Escape(component), LockKey(environment));
        for (var attempt = 0; attempt < 10; attempt++)
        {
            try
            {
                await envs.AddEntityAsync(new TableEntity(pk, rk) { [HolderProperty] = deploymentId }, ct).ConfigureAwait(false);
                return null;
            }
            catch (StorageConflictException)
            {
                // Held, or left behind by a release that ended without freeing it: look at the holder.
            }

            var row = await envs.GetEntityAsync(pk, rk, ct: ct).ConfigureAwait(false);
            if (row?.ETag is null)
            {
                continue; // Freed meanwhile: insert again.
            }

            var holder = row.GetString(HolderProperty);
            if (holder == deploymentId)
            {
                return null;
            }

            if (!string.IsNullOrEmpty(holder) && !await isStale(holder).ConfigureAwait(false))
            {
                return holder;
            }

            row[HolderProperty] = deploymentId;
            try
            {
                await envs.UpdateEntityAsync(row, row.ETag, ct: ct).ConfigureAwait(false);
                return null;
            }
            catch (Exception e) when (e is StoragePreconditionFailedException or StorageNotFoundException)
            {
                // Lost a race with another trigger (or the holder just freed it): look again.
            }
        }

        throw new InvalidOperationException($"Could not lock {component} {environment}: too much contention.");
    }

    /// <summary>Frees the environment's lock if <paramref name="deploymentId"/> holds it (a start that failed after locking).</summary>
    public async Task ReleaseAsync(string component, string environment, string deploymentId, CancellationToken ct)
    {
        var envs = storage.GetTable(EnvironmentsTable);
        var (pk, rk) = (TableKeys.Escape(component), LockKey(environment));
        var row = await envs.GetEntityAsync(pk, rk, ct: ct).ConfigureAwait(false);
        if (row?.GetString(HolderProperty) == deploymentId && row.ETag is not null)
        {
            try
            {
                await envs.DeleteEntityAsync(pk, rk, row.ETag, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StoragePreconditionFailedException or StorageNotFoundException)
            {
                // Someone else changed it meanwhile; they own it now.
            }
        }
    }

    private static string LockKey(string environment) => LockPrefix + TableKeys.Escape(environment);

    private static EnvironmentState ToState(string component, string environment, TableEntity e, string? activeDeploymentId) => new(
        component, environment, e.GetString("CurrentVersion"), e.GetString("CurrentDeploymentId"), e.GetString("CurrentBy"),
        e.GetDateTimeOffset("CurrentAt"), activeDeploymentId, e.ETag);

    private static TableEntity ToEntity(DeploymentRecord r, string pk, string rk) => new(pk, rk)
    {
        ["Id"] = r.Id,
        ["Environment"] = r.Environment,
        ["Version"] = r.Version,
        ["Status"] = r.Status,
        ["Kind"] = r.Kind,
        ["CreatedAt"] = r.CreatedAt,
        ["UpdatedAt"] = r.UpdatedAt,
        ["Json"] = JsonSerializer.Serialize(Trim(r), Json),
    };

    // A string property holds at most 64 KiB: keep the newest analysis results when a long release piles them up.
    private static DeploymentRecord Trim(DeploymentRecord r) =>
        r.Release is { Analysis.Count: > 60 } rel ? r with { Release = rel with { Analysis = rel.Analysis.Skip(rel.Analysis.Count - 60).ToList() } } : r;

    private static DeploymentRecord FromEntity(TableEntity e) =>
        JsonSerializer.Deserialize<DeploymentRecord>(e.GetString("Json") ?? "null", Json) ?? throw new InvalidDataException($"Deployment row {e.RowKey} has no record.");

    private static string EncodeCursor(TableContinuation c) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.NextPartitionKey}\n{c.NextRowKey}")).Replace('+', '-').Replace('/', '_');

    private static TableContinuation? DecodeCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(cursor.Replace('-', '+').Replace('_', '/'))).Split('\n');
            return parts.Length == 2 ? new TableContinuation(parts[0], parts[1]) : throw new FormatException();
        }
        catch (FormatException)
        {
            throw Hosting.Problems.ProblemException.BadRequest("cursor", "is not a cursor this API returned");
        }
    }

    private Task EnsureAsync(CancellationToken ct)
    {
        if (_ready is { IsFaulted: true } or { IsCanceled: true })
        {
            _ready = null;
        }

        return (_ready ??= Create()).WaitAsync(ct);

        async Task Create()
        {
            await storage.GetTable(DeploymentsTable).CreateIfNotExistsAsync(CancellationToken.None).ConfigureAwait(false);
            await storage.GetTable(EnvironmentsTable).CreateIfNotExistsAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Deployment {DeploymentId}: a save of status {Status} as of {UpdatedAt} arrived after a newer one (an activity run again) and was dropped")]
    private static partial void LogStaleSave(ILogger logger, string deploymentId, string status, DateTimeOffset updatedAt);
}
