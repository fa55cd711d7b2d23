using System.Text;
using IdpServerless.Functions.Secrets;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Audit;

/// <summary>The audit table (<c>IDP_AUDIT_TABLE</c>, default <c>auditlog</c>) and the chain's hasher (its key resolved once, when first needed).</summary>
public sealed class AuditChainStore(StorageClient storage, IConfiguration configuration, ISecretResolver secrets)
{
    private readonly SemaphoreSlim _init = new(1, 1);
    private AuditHasher? _hasher;

    public TableClient Table { get; } = storage.GetTable(configuration["IDP_AUDIT_TABLE"] is { Length: > 0 } name ? name : AuditKeys.TableName);

    /// <summary>Creates the table (once) and returns the hasher.</summary>
    public async ValueTask<AuditHasher> ReadyAsync(CancellationToken ct)
    {
        if (_hasher is { } ready)
        {
            return ready;
        }

        await _init.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_hasher is null)
            {
                await Table.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
                byte[]? key = null;
                if (configuration["IDP_AUDIT_KEY"] is { Length: > 0 } setting)
                {
                    var text = SecretReference.LooksLikeReference(setting)
                        ? (await secrets.ResolveAsync(setting, ct).ConfigureAwait(false)).Reveal()
                        : setting;
                    key = Encoding.UTF8.GetBytes(text);
                }

                _hasher = new AuditHasher(key);
            }

            return _hasher;
        }
        finally
        {
            _init.Release();
        }
    }

    /// <summary>The head of <paramref name="day"/>: its last sequence number and hash, or where a new day links to.</summary>
    public async Task<ChainHead> ReadHeadAsync(string day, CancellationToken ct)
    {
        var head = await Table.GetEntityAsync(AuditKeys.DayPartition(day), AuditKeys.HeadRow, ct: ct).ConfigureAwait(false);
        if (head is not null)
        {
            return new ChainHead(day, head.GetInt64("Seq") ?? 0, head.GetString("Hash") ?? string.Empty, head.ETag, string.Empty);
        }

        // A new day links to the last record of the most recent earlier day that has one.
        var filter = TableFilter.And(
            TableFilter.Eq("PartitionKey", AuditKeys.IndexPartition),
            TableFilter.Gt("RowKey", AuditKeys.DayPartition(day)));
        await foreach (var index in Table.QueryAsync(filter, maxPerPage: 32, ct: ct).ConfigureAwait(false))
        {
            var earlier = await Table.GetEntityAsync(index.RowKey, AuditKeys.HeadRow, ct: ct).ConfigureAwait(false);
            if (earlier?.GetInt64("Seq") is { } seq && seq > 0)
            {
                var earlierDay = AuditKeys.DayOfPartition(index.RowKey);
                return new ChainHead(day, 0, earlier.GetString("Hash") ?? string.Empty, null, AuditKeys.Id(earlierDay, seq));
            }
        }

        return new ChainHead(day, 0, string.Empty, null, string.Empty);
    }

    /// <summary>Lists <paramref name="day"/> in the index (idempotent) before its first record is written.</summary>
    public Task IndexDayAsync(string day, CancellationToken ct) =>
        Table.UpsertEntityAsync(new TableEntity(AuditKeys.IndexPartition, AuditKeys.DayPartition(day)) { ["Day"] = day }, ct: ct);
}

/// <summary>Where the next record of a day goes: after <see cref="Seq"/>/<see cref="Hash"/>; a new day (no ETag) links to <see cref="LinkRef"/>.</summary>
public sealed record ChainHead(string Day, long Seq, string Hash, string? ETag, string LinkRef)
{
    public bool IsNew => ETag is null;
}
