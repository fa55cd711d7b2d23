using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>
/// Our extension, <c>GET /stale-entities</c>: entities not refreshed within <c>Catalog:StaleAfter</c> (their file
/// stopped being readable, or they are orphans), oldest first.
/// </summary>
public static class StaleEntities
{
    public static async Task<IResult> GetAsync(HttpRequest request, CatalogService service, IOptions<CatalogOptions> options, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var limit = CatalogRequests.ParseLimit(request.Query["limit"], 1000);
        var stale = service.Stale();
        return Results.Json(new
        {
            staleAfter = options.Value.StaleAfter.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
            totalItems = stale.Count,
            items = stale.Take(limit).Select(r => new
            {
                entityRef = r.RefKey,
                uid = r.Uid,
                refreshedAt = r.Stored.RefreshedAt,
                locationId = r.Stored.LocationId,
                orphan = r.IsOrphan,
            }),
        });
    }
}
