using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Ingestion;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Functions.Catalog.Storage;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>Registered locations: list, register (or dry-run), read, delete, find by entity, and our status view.</summary>
public static class Locations
{
    public static async Task<IResult> ListAsync(CatalogService service, LocationRegistry locations, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        return Results.Json(locations.All.Select(l => new { data = Summary(l) }));
    }

    public static async Task<IResult> GetAsync(string id, CatalogService service, LocationRegistry locations, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var location = locations.Get(id) ?? throw CatalogProblems.NotFound($"No location with id {id} exists.");
        return Results.Json(Summary(location));
    }

    /// <summary>Our extension: the outcome of the location's last refresh (errors, conflicts, entity count).</summary>
    public static async Task<IResult> StatusAsync(string id, CatalogService service, LocationRegistry locations, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var l = locations.Get(id) ?? throw CatalogProblems.NotFound($"No location with id {id} exists.");
        return Results.Json(new
        {
            l.Id,
            l.Type,
            l.Target,
            l.CreatedAt,
            l.LastRefreshAt,
            l.LastSuccessAt,
            l.Status,
            Errors = l.Errors ?? [],
            Conflicts = l.Conflicts ?? [],
            l.EntityCount,
        }, JsonSerializerOptions.Web);
    }

    /// <summary>
    /// <c>POST /locations[?dryRun=true]</c> with <c>{type, target}</c>: 201 with <c>{location, entities, exists?}</c>;
    /// 409 when the location is already registered or an entity belongs to another location; 400/413 when anything in it is wrong.
    /// </summary>
    public static async Task<IResult> CreateAsync(HttpRequest request, CatalogService service, CatalogIndex index, CancellationToken ct)
    {
        var body = await CatalogRequests.ReadObjectAsync(request, ct).ConfigureAwait(false);
        var spec = ReadSpec(body, string.Empty);
        var dryRun = string.Equals(request.Query["dryRun"], "true", StringComparison.OrdinalIgnoreCase);
        var outcome = await service.RegisterAsync(spec, dryRun, ct).ConfigureAwait(false);
        return EntityStream.Result(async s =>
        {
            var w = s.Json;
            w.WriteStartObject();
            w.WritePropertyName("location");
            JsonSerializer.Serialize(w, Summary(outcome.Location));
            w.WriteStartArray("entities");
            foreach (var entity in outcome.Entities)
            {
                if (!dryRun && index.Get(entity.RefKey) is { } stored)
                {
                    EntityJson.Write(w, stored, null);
                }
                else
                {
                    w.WriteRawValue(entity.Json, skipInputValidation: true);
                }

                await s.FlushIfFullAsync().ConfigureAwait(false);
            }

            w.WriteEndArray();
            if (dryRun)
            {
                w.WriteBoolean("exists", outcome.Exists);
            }

            w.WriteEndObject();
        }, StatusCodes.Status201Created);
    }

    public static async Task<IResult> DeleteAsync(string id, CatalogService service, CancellationToken ct) =>
        await service.DeleteLocationAsync(id, ct).ConfigureAwait(false)
            ? Results.NoContent()
            : throw CatalogProblems.NotFound($"No location with id {id} exists.");

    /// <summary>The registered location that manages the entity.</summary>
    public static async Task<IResult> ByEntityAsync(string kind, string @namespace, string name, CatalogService service, CatalogIndex index, LocationRegistry locations, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var refKey = EntityRef.Key(kind, @namespace, name);
        var record = index.Get(refKey) ?? throw CatalogProblems.NotFound($"No entity named {refKey} exists.");
        var location = record.Stored.LocationId is { } id ? locations.Get(id) : null;
        return location is null
            ? throw CatalogProblems.NotFound($"No registered location manages {refKey} (it is an orphan).")
            : Results.Json(Summary(location));
    }

    /// <summary>
    /// <c>PUT /locations/{id}</c> with <c>{type, target}</c>: 200 with the updated location. Validated like registration
    /// (400/409/413, nothing written on a refusal); 404 for an unknown id. The location's entities are re-read from the new target.
    /// </summary>
    public static async Task<IResult> UpdateAsync(string id, HttpRequest request, CatalogService service, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var body = await CatalogRequests.ReadObjectAsync(request, ct).ConfigureAwait(false);
        var spec = ReadSpec(body, string.Empty);
        var updated = await service.UpdateLocationAsync(id, spec, ct).ConfigureAwait(false)
            ?? throw CatalogProblems.NotFound($"No location with id {id} exists.");
        return Results.Json(Summary(updated));
    }

    /// <summary>
    /// <c>POST /locations/by-query</c> with <c>{query?, limit?, cursor?}</c>: <c>{items, totalItems, pageInfo: {nextCursor?}}</c>,
    /// locations in registration order. The predicate is over <c>id</c>, <c>type</c>, <c>target</c> and <c>entityRef</c>;
    /// a cursor carries the query, so with a cursor only <c>limit</c> is read.
    /// </summary>
    public static async Task<IResult> QueryAsync(HttpRequest request, CatalogService service, LocationRegistry locations, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var body = await CatalogRequests.ReadObjectAsync(request, ct).ConfigureAwait(false);
        var limit = body["limit"] switch
        {
            null => CatalogRequests.DefaultLimit,
            JsonValue v when v.TryGetValue<int>(out var n) && n >= 0 => CatalogRequests.ParseLimit(n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            _ => throw CatalogProblems.Input("limit", $"must be a whole number from 0 to {CatalogRequests.MaxLimit}."),
        };
        JsonNode? queryNode;
        int offset;
        if (body["cursor"] is { } cursorNode)
        {
            (queryNode, offset) = DecodeCursor(EntityValidator.AsString(cursorNode));
        }
        else
        {
            queryNode = body["query"];
            offset = 0;
        }

        var predicate = queryNode is null ? null : QueryPredicate.Parse(queryNode);
        if (predicate is not null)
        {
            CheckFields(predicate);
        }

        var matching = locations.All.Where(l => predicate is null || Matches(predicate, l)).ToList();
        var page = matching.Skip(offset).Take(limit).ToList();
        var next = offset + page.Count < matching.Count && limit > 0 ? EncodeCursor(queryNode, offset + page.Count) : null;
        return Results.Json(new LocationsPage(page.Select(Summary).ToList(), matching.Count, new LocationsPageInfo(next)));
    }

    /// <summary>Backstage's ref for the Location entity it generates for a registered location: <c>location:default/generated-&lt;sha1 of type:target&gt;</c>.</summary>
    public static string EntityRefOf(string type, string target) =>
        "location:default/generated-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes($"{type}:{target}")));

    /// <summary>A <c>{type, target}</c> object read like <c>POST /locations</c> does; <paramref name="prefix"/> names its place in the body.</summary>
    internal static LocationSpec ReadSpec(JsonNode? node, string prefix)
    {
        var type = EntityValidator.AsString(node?["type"]);
        var target = EntityValidator.AsString(node?["target"]);
        if (string.IsNullOrWhiteSpace(type) || string.IsNullOrWhiteSpace(target))
        {
            throw CatalogProblems.Input(prefix + (string.IsNullOrWhiteSpace(type) ? "type" : "target"), "is required: {\"type\": \"file|url|git\", \"target\": \"...\"}.");
        }

        return new LocationSpec(type.Trim(), target.Trim());
    }

    private static readonly string[] LocationFields = ["id", "type", "target", "entityref"];

    private static void CheckFields(QueryPredicate predicate)
    {
        switch (predicate)
        {
            case QueryPredicate.AllOf all:
                all.Items.ToList().ForEach(CheckFields);
                break;
            case QueryPredicate.AnyOf any:
                any.Items.ToList().ForEach(CheckFields);
                break;
            case QueryPredicate.Not not:
                CheckFields(not.Item);
                break;
            default:
                var key = KeyOf(predicate);
                if (!LocationFields.Contains(key, StringComparer.Ordinal))
                {
                    throw CatalogProblems.Input("query", $"'{key}' is not a location field; expected id, type, target or entityRef.");
                }

                break;
        }
    }

    private static string KeyOf(QueryPredicate predicate) => predicate switch
    {
        QueryPredicate.Exists e => e.Key,
        QueryPredicate.In i => i.Key,
        QueryPredicate.HasPrefix h => h.Key,
        _ => string.Empty,
    };

    private static bool Matches(QueryPredicate predicate, LocationRecord l)
    {
        switch (predicate)
        {
            case QueryPredicate.AllOf all:
                return all.Items.All(p => Matches(p, l));
            case QueryPredicate.AnyOf any:
                return any.Items.Any(p => Matches(p, l));
            case QueryPredicate.Not not:
                return !Matches(not.Item, l);
        }

        var value = KeyOf(predicate) switch
        {
            "id" => l.Id,
            "type" => l.Type,
            "target" => l.Target,
            "entityref" => EntityRefOf(l.Type, l.Target),
            _ => null,
        };
        var lower = value?.ToLowerInvariant();
        return predicate switch
        {
            QueryPredicate.Exists e => (value is not null) == e.Present,
            QueryPredicate.In i => lower is not null && i.Values.Contains(lower, StringComparer.Ordinal),
            QueryPredicate.HasPrefix h => lower is not null && lower.StartsWith(h.Prefix, StringComparison.Ordinal),
            _ => false,
        };
    }

    private static string EncodeCursor(JsonNode? query, int offset) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["q"] = query?.DeepClone(), ["o"] = offset }.ToJsonString()));

    private static (JsonNode? Query, int Offset) DecodeCursor(string? cursor)
    {
        try
        {
            var state = JsonNode.Parse(Convert.FromBase64String(cursor ?? string.Empty)) as JsonObject;
            if (state?["o"] is JsonValue o && o.TryGetValue<int>(out var offset) && offset >= 0)
            {
                return (state["q"]?.DeepClone(), offset);
            }
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
        }

        throw CatalogProblems.Input("cursor", "is not a cursor this catalog issued.");
    }

    private static LocationSummary Summary(LocationRecord l) => new(l.Id, l.Type, l.Target, EntityRefOf(l.Type, l.Target));

    private sealed record LocationSummary(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("target")] string Target,
        [property: JsonPropertyName("entityRef")] string EntityRef);

    private sealed record LocationsPage(
        [property: JsonPropertyName("items")] IReadOnlyList<LocationSummary> Items,
        [property: JsonPropertyName("totalItems")] int TotalItems,
        [property: JsonPropertyName("pageInfo")] LocationsPageInfo PageInfo);

    private sealed record LocationsPageInfo(
        [property: JsonPropertyName("nextCursor"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NextCursor);
}
