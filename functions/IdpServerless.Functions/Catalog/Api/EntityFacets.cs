using IdpServerless.Functions.Catalog.Index;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>
/// <c>GET /entity-facets?facet=kind&amp;facet=spec.type&amp;filter=...</c> to <c>{facets: {kind: [{value, count}]}}</c>.
/// Also takes <c>fullTextFilterTerm</c>/<c>fullTextFilterFields</c> (our extension), so search results can be faceted.
/// </summary>
public static class EntityFacets
{
    public static async Task<IResult> GetAsync(HttpRequest request, CatalogService service, CatalogIndex index, CatalogReadGate gate, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var q = request.Query;
        var facets = q["facet"].Where(f => !string.IsNullOrWhiteSpace(f)).Select(f => f!.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (facets.Count == 0)
        {
            throw CatalogProblems.Input("facet", "at least one facet is required, e.g. facet=kind.");
        }

        var query = new EntityQuery(
            EntityQueryParser.ParseFilters(q["filter"]),
            [],
            q["fullTextFilterTerm"].ToString() is { Length: > 0 } term ? term : null,
            EntityQueryParser.ParseList(q["fullTextFilterFields"], lower: true));
        using (await gate.EnterAsync(request.HttpContext, ct).ConfigureAwait(false))
        {
            return Write(index.Facets(facets, query));
        }
    }

    /// <summary>
    /// <c>POST /entity-facets</c> with <c>{facets: [...], query?}</c>: the same answer as GET, counted over the entities the
    /// predicate <c>query</c> selects (all entities without one).
    /// </summary>
    public static async Task<IResult> PostAsync(HttpRequest request, CatalogService service, CatalogIndex index, CatalogReadGate gate, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var body = await CatalogRequests.ReadObjectAsync(request, ct).ConfigureAwait(false);
        if (body["facets"] is not System.Text.Json.Nodes.JsonArray)
        {
            throw CatalogProblems.Input("facets", "is required: a list of facet fields, e.g. [\"kind\"].");
        }

        var facets = (CatalogRequests.StringList(body["facets"], "facets") ?? [])
            .Where(f => !string.IsNullOrWhiteSpace(f)).Select(f => f.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (facets.Count == 0)
        {
            throw CatalogProblems.Input("facets", "at least one facet is required, e.g. [\"kind\"].");
        }

        var predicate = body["query"] is { } q ? QueryPredicate.Parse(q) : null;
        using (await gate.EnterAsync(request.HttpContext, ct).ConfigureAwait(false))
        {
            return Write(index.Facets(facets, new EntityQuery([], [], Predicate: predicate)));
        }
    }

    private static IResult Write(Dictionary<string, List<FacetValue>> result) =>
        EntityJson.Result(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("facets");
            foreach (var (facet, values) in result)
            {
                w.WriteStartArray(facet);
                foreach (var v in values)
                {
                    w.WriteStartObject();
                    w.WriteString("value", v.Value);
                    w.WriteNumber("count", v.Count);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        });
}
