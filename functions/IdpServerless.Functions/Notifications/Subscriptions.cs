using System.Text.Json;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Notifications;

/// <summary>A team's wish to hear about events (all of its components', or one component's), on one channel.</summary>
public sealed record Subscription(string Id, string Team, string? Component, IReadOnlyList<string> Events, ChannelSpec Channel, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>
/// Subscriptions in the <c>notificationsubscriptions</c> table, partitioned by what they listen to — <c>t|&lt;team&gt;</c> for
/// everything a team owns, <c>c|&lt;component&gt;</c> for one component — so fan-out reads exactly the partitions of the
/// event's component and its owners.
/// </summary>
public sealed class SubscriptionStore(StorageOnce storage)
{
    public const string TableName = "notificationsubscriptions";

    public async Task AddAsync(Subscription s, CancellationToken ct)
    {
        var table = await storage.TableAsync(TableName, ct);
        await table.AddEntityAsync(new TableEntity(Partition(s.Team, s.Component), s.Id)
        {
            ["Team"] = s.Team,
            ["Component"] = s.Component,
            ["Events"] = string.Join(',', s.Events),
            ["Channel"] = JsonSerializer.Serialize(s.Channel, JsonSerializerOptions.Web),
            ["CreatedBy"] = s.CreatedBy,
            ["CreatedAt"] = s.CreatedAt,
        }, ct);
    }

    public async Task<IReadOnlyList<Subscription>> ListAsync(string? team, string? component, CancellationToken ct)
    {
        var table = await storage.TableAsync(TableName, ct);
        var filter = TableFilter.And(team is null ? null : TableFilter.Eq("Team", team), component is null ? null : TableFilter.Eq("Component", component));
        var result = new List<Subscription>();
        await foreach (var row in table.QueryAsync(string.IsNullOrEmpty(filter) ? null : filter, ct: ct))
        {
            result.Add(Read(row));
        }

        return result;
    }

    public async Task<Subscription?> FindAsync(string id, CancellationToken ct)
    {
        var table = await storage.TableAsync(TableName, ct);
        await foreach (var row in table.QueryAsync(TableFilter.Eq("RowKey", id), ct: ct))
        {
            return Read(row);
        }

        return null;
    }

    public async Task DeleteAsync(Subscription s, CancellationToken ct)
    {
        var table = await storage.TableAsync(TableName, ct);
        try
        {
            await table.DeleteEntityAsync(Partition(s.Team, s.Component), s.Id, ct: ct);
        }
        catch (StorageNotFoundException)
        {
            // Deleted meanwhile: the outcome the caller asked for.
        }
    }

    /// <summary>Subscriptions wanting <paramref name="eventType"/> about <paramref name="component"/> owned by <paramref name="owners"/>.</summary>
    public async Task<IReadOnlyList<Subscription>> MatchAsync(string eventType, string? component, IEnumerable<string> owners, CancellationToken ct)
    {
        var partitions = owners.Select(o => Partition(o, null)).ToList();
        if (component is not null)
        {
            partitions.Add(Partition(string.Empty, component));
        }

        var table = await storage.TableAsync(TableName, ct);
        var matches = new List<Subscription>();
        foreach (var pk in partitions.Distinct(StringComparer.Ordinal))
        {
            await foreach (var row in table.QueryAsync(TableFilter.Eq("PartitionKey", pk), ct: ct))
            {
                var s = Read(row);
                if ((s.Events.Count == 0 || s.Events.Contains(eventType, StringComparer.Ordinal)) && (s.Component is null || s.Component == component))
                {
                    matches.Add(s);
                }
            }
        }

        return matches;
    }

    private static string Partition(string team, string? component) =>
        TableKeys.Escape(component is null ? "t|" + team : "c|" + component);

    private static Subscription Read(TableEntity row) => new(
        row.RowKey,
        row.GetString("Team") ?? string.Empty,
        row.GetString("Component"),
        (row.GetString("Events") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries),
        JsonSerializer.Deserialize<ChannelSpec>(row.GetString("Channel") ?? "{}", JsonSerializerOptions.Web) ?? new ChannelSpec(ChannelTypes.Local),
        row.GetString("CreatedBy") ?? string.Empty,
        row.GetDateTimeOffset("CreatedAt") ?? default);
}
