using System.Text.Json;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Deployments.Promotion;

/// <summary>Promotion statuses as the pipeline API shows them.</summary>
public static class PromotionStatuses
{
    /// <summary>The version soaks in the stage before until <see cref="PromotionRecord.WaitingUntil"/>.</summary>
    public const string Soaking = "Soaking";

    /// <summary>The version's analysis runs in the stage before.</summary>
    public const string Analyzing = "Analyzing";

    /// <summary>Verified; the target stage is frozen until <see cref="PromotionRecord.WaitingUntil"/>.</summary>
    public const string Frozen = "Frozen";

    /// <summary>Verified; another release is under way in the target stage.</summary>
    public const string WaitingForStage = "WaitingForStage";

    /// <summary>The deployment to the target stage was started (<see cref="PromotionRecord.DeploymentId"/>).</summary>
    public const string Promoted = "Promoted";

    /// <summary>Verification failed: this version goes no further.</summary>
    public const string VerificationFailed = "VerificationFailed";

    /// <summary>The target stage is pinned after a manual rollback: not promoted.</summary>
    public const string Pinned = "Pinned";

    /// <summary>The version no longer runs in the stage before (replaced or rolled back there) before it was verified.</summary>
    public const string Superseded = "Superseded";

    public static bool IsFinished(string status) => status is Promoted or VerificationFailed or Pinned or Superseded;
}

/// <summary>
/// One automatic promotion of a version from one stage to the next; its id <c>promo-{sourceDeploymentId}-{stage}</c>
/// is also its orchestration's instance id, so it exists (and runs) at most once.
/// </summary>
public sealed record PromotionRecord(
    string Id,
    string Component,
    string From,
    string To,
    string Version,
    string SourceDeploymentId,
    string RequestedBy,
    string Status,
    string? Message,
    DateTimeOffset? WaitingUntil,
    string? DeploymentId,
    IReadOnlyList<AnalysisResult> Analysis,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A stage pinned by a manual rollback away from <see cref="Version"/> (Kargo #3016: auto-promotion must not undo it).</summary>
public sealed record StagePin(string Component, string Stage, string Version, string By, DateTimeOffset At, string? DeploymentId);

/// <summary>
/// Promotions and pins in Azure Tables (<c>promotions</c>): per component (partition) one row per promotion (row key:
/// its id) and one row per pinned stage (<c>~pin:{stage}</c>).
/// </summary>
public sealed class PromotionStore(StorageClient storage)
{
    public const string Table = "promotions";
    private const string PinPrefix = "~pin:";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private Task? _ready;

    public static string IdFor(string sourceDeploymentId, string stage) => $"promo-{sourceDeploymentId}-{stage}";

    /// <summary>Writes the record unless a newer one is stored (saves come from an activity, which may run again late).</summary>
    public async Task SaveAsync(PromotionRecord record, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(record);
        var table = await TableAsync(ct).ConfigureAwait(false);
        var (pk, rk) = (TableKeys.Escape(record.Component), TableKeys.Escape(record.Id));
        for (var attempt = 0; ; attempt++)
        {
            var current = await table.GetEntityAsync(pk, rk, ct: ct).ConfigureAwait(false);
            if (current?.GetDateTimeOffset("UpdatedAt") is { } stored && stored > record.UpdatedAt)
            {
                return;
            }

            var entity = new TableEntity(pk, rk)
            {
                ["To"] = record.To,
                ["Status"] = record.Status,
                ["CreatedAt"] = record.CreatedAt,
                ["UpdatedAt"] = record.UpdatedAt,
                ["Json"] = JsonSerializer.Serialize(record with { Analysis = record.Analysis.TakeLast(40).ToList() }, Json),
            };
            try
            {
                _ = current is null
                    ? await table.AddEntityAsync(entity, ct).ConfigureAwait(false)
                    : await table.UpdateEntityAsync(entity, current.ETag!, ct: ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is StorageConflictException or StoragePreconditionFailedException && attempt < 10)
            {
                // Another save got there first: read again and compare.
            }
        }
    }

    public async Task<PromotionRecord?> GetAsync(string component, string id, CancellationToken ct)
    {
        var table = await TableAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityAsync(TableKeys.Escape(component), TableKeys.Escape(id), ct: ct).ConfigureAwait(false);
        return row is null ? null : FromEntity(row);
    }

    /// <summary>The component's promotions, newest first, and its pins by stage.</summary>
    public async Task<(IReadOnlyList<PromotionRecord> Promotions, IReadOnlyDictionary<string, StagePin> Pins)> ListAsync(string component, CancellationToken ct)
    {
        var table = await TableAsync(ct).ConfigureAwait(false);
        var promotions = new List<PromotionRecord>();
        var pins = new Dictionary<string, StagePin>(StringComparer.Ordinal);
        await foreach (var e in table.QueryAsync(TableFilter.Eq("PartitionKey", TableKeys.Escape(component)), ct: ct).ConfigureAwait(false))
        {
            if (e.RowKey.StartsWith(PinPrefix, StringComparison.Ordinal))
            {
                var pin = PinFrom(e);
                pins[pin.Stage] = pin;
            }
            else
            {
                promotions.Add(FromEntity(e));
            }
        }

        return (promotions.OrderByDescending(p => p.CreatedAt).ToList(), pins);
    }

    public async Task<StagePin?> GetPinAsync(string component, string stage, CancellationToken ct)
    {
        var table = await TableAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityAsync(TableKeys.Escape(component), PinKey(stage), ct: ct).ConfigureAwait(false);
        return row is null ? null : PinFrom(row);
    }

    public async Task PinAsync(StagePin pin, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pin);
        var table = await TableAsync(ct).ConfigureAwait(false);
        await table.UpsertEntityAsync(new TableEntity(TableKeys.Escape(pin.Component), PinKey(pin.Stage)) { ["Json"] = JsonSerializer.Serialize(pin, Json) }, TableUpdateMode.Replace, ct).ConfigureAwait(false);
    }

    /// <summary>Removes the stage's pin; true when there was one.</summary>
    public async Task<bool> UnpinAsync(string component, string stage, CancellationToken ct)
    {
        var table = await TableAsync(ct).ConfigureAwait(false);
        try
        {
            await table.DeleteEntityAsync(TableKeys.Escape(component), PinKey(stage), "*", ct).ConfigureAwait(false);
            return true;
        }
        catch (StorageNotFoundException)
        {
            return false;
        }
    }

    private static string PinKey(string stage) => PinPrefix + TableKeys.Escape(stage);

    private static PromotionRecord FromEntity(TableEntity e) =>
        JsonSerializer.Deserialize<PromotionRecord>(e.GetString("Json") ?? "null", Json) ?? throw new InvalidDataException($"Promotion row {e.RowKey} has no record.");

    private static StagePin PinFrom(TableEntity e) =>
        JsonSerializer.Deserialize<StagePin>(e.GetString("Json") ?? "null", Json) ?? throw new InvalidDataException($"Pin row {e.RowKey} has no pin.");

    private async Task<TableClient> TableAsync(CancellationToken ct)
    {
        if (_ready is { IsFaulted: true } or { IsCanceled: true })
        {
            _ready = null;
        }

        await (_ready ??= storage.GetTable(Table).CreateIfNotExistsAsync(CancellationToken.None)).WaitAsync(ct).ConfigureAwait(false);
        return storage.GetTable(Table);
    }
}
