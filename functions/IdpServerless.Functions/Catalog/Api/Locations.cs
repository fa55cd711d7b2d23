using System.Text.Json;
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
        var type = EntityValidator.AsString(body["type"]);
        var target = EntityValidator.AsString(body["target"]);
        if (string.IsNullOrWhiteSpace(type) || string.IsNullOrWhiteSpace(target))
        {
            throw CatalogProblems.Input(string.IsNullOrWhiteSpace(type) ? "type" : "target", "is required: the body is {\"type\": \"file|url|git\", \"target\": \"...\"}.");
        }

        var dryRun = string.Equals(request.Query["dryRun"], "true", StringComparison.OrdinalIgnoreCase);
        var outcome = await service.RegisterAsync(new LocationSpec(type.Trim(), target.Trim()), dryRun, ct).ConfigureAwait(false);
        return EntityJson.Result(w =>
        {
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

    private static LocationSummary Summary(LocationRecord l) => new(l.Id, l.Type, l.Target);

    private sealed record LocationSummary(
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type,
        [property: System.Text.Json.Serialization.JsonPropertyName("target")] string Target);
}
