using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>The catalog's HTTP functions under <c>/api/catalog</c>, shaped like Backstage's catalog REST API.</summary>
public static class CatalogApi
{
    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/catalog").WithTags("Catalog").AddEndpointFilter<CatalogErrorFilter>();
        const string Entity = "/entities/by-name/{kind}/{namespace}/{name}";

        api.MapGet("/entities", QueryEntities.ListAsync).WithName("CatalogListEntities").RequirePermission(Permissions.CatalogRead);
        api.MapGet("/entities/by-query", QueryEntities.GetAsync).WithName("CatalogQueryEntities").RequirePermission(Permissions.CatalogRead);
        api.MapPost("/entities/by-query", QueryEntities.PostAsync).WithName("CatalogQueryEntitiesPost").RequirePermission(Permissions.CatalogRead);
        api.MapGet(Entity, GetEntities.ByNameAsync).WithName("CatalogGetEntityByName").RequirePermission(Permissions.CatalogRead, resourceFromRoute: true);
        api.MapGet(Entity + "/ancestry", GetEntities.AncestryAsync).WithName("CatalogGetEntityAncestry").RequirePermission(Permissions.CatalogRead, resourceFromRoute: true);
        api.MapGet("/entities/by-uid/{uid}", GetEntities.ByUidAsync).WithName("CatalogGetEntityByUid").RequirePermission(Permissions.CatalogRead);
        api.MapDelete("/entities/by-uid/{uid}", GetEntities.DeleteByUidAsync).WithName("CatalogDeleteEntityByUid").RequirePermission(Permissions.CatalogWrite);
        api.MapPost("/entities/by-refs", GetEntities.ByRefsAsync).WithName("CatalogGetEntitiesByRefs").RequirePermission(Permissions.CatalogRead);
        api.MapGet("/entity-facets", EntityFacets.GetAsync).WithName("CatalogGetEntityFacets").RequirePermission(Permissions.CatalogRead);
        api.MapPost("/entity-facets", EntityFacets.PostAsync).WithName("CatalogQueryEntityFacets").RequirePermission(Permissions.CatalogRead);
        api.MapGet("/stale-entities", StaleEntities.GetAsync).WithName("CatalogGetStaleEntities").RequirePermission(Permissions.CatalogRead);

        api.MapGet("/locations", Locations.ListAsync).WithName("CatalogListLocations").RequirePermission(Permissions.CatalogRead);
        api.MapPost("/locations", Locations.CreateAsync).WithName("CatalogCreateLocation").RequirePermission(Permissions.CatalogWrite);
        api.MapPost("/locations/by-query", Locations.QueryAsync).WithName("CatalogQueryLocations").RequirePermission(Permissions.CatalogRead);
        api.MapPut("/locations/{id}", Locations.UpdateAsync).WithName("CatalogUpdateLocation").RequirePermission(Permissions.CatalogWrite);
        api.MapGet("/locations/{id}", Locations.GetAsync).WithName("CatalogGetLocation").RequirePermission(Permissions.CatalogRead);
        api.MapGet("/locations/{id}/status", Locations.StatusAsync).WithName("CatalogGetLocationStatus").RequirePermission(Permissions.CatalogRead);
        api.MapDelete("/locations/{id}", Locations.DeleteAsync).WithName("CatalogDeleteLocation").RequirePermission(Permissions.CatalogWrite);
        api.MapGet("/locations/by-entity/{kind}/{namespace}/{name}", Locations.ByEntityAsync).WithName("CatalogGetLocationByEntity").RequirePermission(Permissions.CatalogRead, resourceFromRoute: true);

        api.MapPost("/analyze-location", AnalyzeLocation.PostAsync).WithName("CatalogAnalyzeLocation").RequirePermission(Permissions.CatalogRead);
        api.MapPost("/refresh", RefreshEntity.PostAsync).WithName("CatalogRefreshEntity").RequirePermission(Permissions.CatalogWrite);
        api.MapPost("/validate-entity", ValidateEntity.PostAsync).WithName("CatalogValidateEntity").RequirePermission(Permissions.CatalogRead);
        return app;
    }
}
