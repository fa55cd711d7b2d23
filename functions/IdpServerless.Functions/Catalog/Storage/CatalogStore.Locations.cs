using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IdpServerless.Functions.Catalog.Ingestion;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Catalog.Storage;

/// <summary>A conflict a location's refresh reported: an entity it emits that another location already owns.</summary>
public sealed record LocationConflict(string EntityRef, string ClaimedByLocationId, string? ClaimedByTarget);

/// <summary>A registered location and the outcome of its last refresh.</summary>
public sealed record LocationRecord(
    string Id,
    string Type,
    string Target,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastRefreshAt = null,
    DateTimeOffset? LastSuccessAt = null,
    string Status = "pending",
    IReadOnlyList<string>? Errors = null,
    IReadOnlyList<LocationConflict>? Conflicts = null,
    int EntityCount = 0)
{
    public LocationSpec Spec => new(Type, Target);
}

public sealed partial class CatalogStore
{
    private const string LocationPartition = "location";
    private const string KeyPartition = "key";
    private const int MaxStatusChars = 30_000;

    private TableClient Locations => storage.GetTable(_options.LocationsTable);

    public async Task<List<LocationRecord>> LoadLocationsAsync(CancellationToken ct)
    {
        var result = new List<LocationRecord>();
        await foreach (var row in Locations.QueryAsync(TableFilter.Eq("PartitionKey", LocationPartition), ct: ct).ConfigureAwait(false))
        {
            result.Add(FromLocationRow(row));
        }

        return result;
    }

    public async Task<LocationRecord?> GetLocationAsync(string id, CancellationToken ct)
    {
        var row = await Locations.GetEntityAsync(LocationPartition, TableKeys.Escape(id), ct: ct).ConfigureAwait(false);
        return row is null ? null : FromLocationRow(row);
    }

    /// <summary>
    /// Registers a location, unique by <c>type:target</c>: a key row is inserted first (atomic across instances), so two
    /// registrations of the same target cannot both succeed. Returns the id that owns the target when it is taken.
    /// </summary>
    public async Task<string?> TryInsertLocationAsync(LocationRecord location, CancellationToken ct)
    {
        var key = new TableEntity(KeyPartition, KeyOf(location.Spec)) { ["LocationId"] = location.Id, ["Target"] = location.Spec.ToString() };
        try
        {
            await Locations.AddEntityAsync(key, ct).ConfigureAwait(false);
        }
        catch (StorageConflictException)
        {
            var existing = await Locations.GetEntityAsync(KeyPartition, KeyOf(location.Spec), ct: ct).ConfigureAwait(false);
            var owner = existing?.GetString("LocationId");
            if (owner is not null && await GetLocationAsync(owner, ct).ConfigureAwait(false) is not null)
            {
                return owner;
            }

            // A key left behind by a registration that died before writing its location row: take it over.
            await Locations.UpsertEntityAsync(key, ct: ct).ConfigureAwait(false);
        }

        await Locations.UpsertEntityAsync(ToLocationRow(location), ct: ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>The id registered for <paramref name="spec"/>, or null.</summary>
    public async Task<string?> FindLocationIdAsync(LocationSpec spec, CancellationToken ct)
    {
        var key = await Locations.GetEntityAsync(KeyPartition, KeyOf(spec), ct: ct).ConfigureAwait(false);
        return key?.GetString("LocationId");
    }

    public Task UpdateLocationAsync(LocationRecord location, CancellationToken ct) =>
        Locations.UpsertEntityAsync(ToLocationRow(location), ct: ct);

    /// <summary>Releases the key row of <paramref name="spec"/> when it still belongs to <paramref name="locationId"/>.</summary>
    public async Task DeleteLocationKeyAsync(LocationSpec spec, string locationId, CancellationToken ct)
    {
        var key = await Locations.GetEntityAsync(KeyPartition, KeyOf(spec), ct: ct).ConfigureAwait(false);
        if (key?.GetString("LocationId") != locationId)
        {
            return;
        }

        try
        {
            await Locations.DeleteEntityAsync(KeyPartition, KeyOf(spec), ct: ct).ConfigureAwait(false);
        }
        catch (StorageNotFoundException)
        {
            // Released by a concurrent request: the outcome wanted.
        }
    }

    public async Task DeleteLocationAsync(LocationRecord location, CancellationToken ct)
    {
        foreach (var (pk, rk) in new[] { (LocationPartition, TableKeys.Escape(location.Id)), (KeyPartition, KeyOf(location.Spec)) })
        {
            try
            {
                await Locations.DeleteEntityAsync(pk, rk, ct: ct).ConfigureAwait(false);
            }
            catch (StorageNotFoundException)
            {
                // Deleted by a concurrent request: the outcome wanted.
            }
        }
    }

    private static string KeyOf(LocationSpec spec) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(spec.ToString())));

    private static TableEntity ToLocationRow(LocationRecord l) => new(LocationPartition, TableKeys.Escape(l.Id))
    {
        ["Type"] = l.Type,
        ["Target"] = l.Target,
        ["CreatedAt"] = l.CreatedAt,
        ["LastRefreshAt"] = l.LastRefreshAt,
        ["LastSuccessAt"] = l.LastSuccessAt,
        ["Status"] = l.Status,
        ["Errors"] = Truncated(JsonSerializer.Serialize(l.Errors ?? [])),
        ["Conflicts"] = Truncated(JsonSerializer.Serialize(l.Conflicts ?? [])),
        ["EntityCount"] = l.EntityCount,
    };

    private static LocationRecord FromLocationRow(TableEntity row) => new(
        TableKeys.Unescape(row.RowKey),
        row.GetString("Type") ?? string.Empty,
        row.GetString("Target") ?? string.Empty,
        row.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
        row.GetDateTimeOffset("LastRefreshAt"),
        row.GetDateTimeOffset("LastSuccessAt"),
        row.GetString("Status") ?? "pending",
        TryRead<List<string>>(row.GetString("Errors")),
        TryRead<List<LocationConflict>>(row.GetString("Conflicts")),
        row.GetInt32("EntityCount") ?? 0);

    private static string Truncated(string json) => json.Length <= MaxStatusChars ? json : "[]";

    private static T? TryRead<T>(string? json)
        where T : class
    {
        try
        {
            return json is null ? null : JsonSerializer.Deserialize<T>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
