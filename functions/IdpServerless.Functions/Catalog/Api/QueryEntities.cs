using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>
/// <c>GET|POST /entities/by-query</c> (filters, predicate, fields, orderField, fullTextFilterTerm, limit, cursor) and
/// the older <c>GET /entities</c> (filter, fields, order, offset, limit, after) — both answered from the index.
/// With a term and no order, results are ranked by relevance.
/// </summary>
public static class QueryEntities
{
    public static async Task<IResult> GetAsync(HttpRequest request, CatalogService service, CatalogIndex index, CatalogReadGate gate, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var q = request.Query;
        var state = q.TryGetValue("cursor", out var cursor) && !string.IsNullOrEmpty(cursor)
            ? QueryState.Decode(cursor!)
            : new QueryState(
                EntityQueryParser.ParseFilters(q["filter"]),
                EntityQueryParser.ParseOrder(q["orderField"]),
                q["fullTextFilterTerm"].ToString(),
                EntityQueryParser.ParseList(q["fullTextFilterFields"], lower: true),
                null);
        var offset = state.Key is null ? CatalogRequests.ParseOffset(q["offset"]) : 0;
        return await RunAsync(request.HttpContext, index, gate, state, CatalogRequests.ParseLimit(q["limit"]), offset, EntityQueryParser.ParseList(q["fields"]), ct).ConfigureAwait(false);
    }

    public static async Task<IResult> PostAsync(HttpRequest request, CatalogService service, CatalogIndex index, CatalogReadGate gate, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var body = await CatalogRequests.ReadObjectAsync(request, ct).ConfigureAwait(false);
        var fields = CatalogRequests.StringList(body["fields"], "fields") ?? [];
        var limit = body["limit"] is JsonValue l && l.TryGetValue<int>(out var n) ? CatalogRequests.ParseLimit(n.ToString(System.Globalization.CultureInfo.InvariantCulture)) : CatalogRequests.DefaultLimit;
        if (EntityValidator.AsString(body["cursor"]) is { Length: > 0 } cursor)
        {
            return await RunAsync(request.HttpContext, index, gate, QueryState.Decode(cursor), limit, 0, fields, ct).ConfigureAwait(false);
        }

        var fullText = body["fullTextFilter"] as JsonObject;
        var predicate = body["query"];
        if (predicate is not null)
        {
            _ = QueryPredicate.Parse(predicate);
        }

        var state = new QueryState(
            ParseFilterNode(body["filter"]),
            ParseOrderNode(body["orderBy"] ?? body["orderFields"] ?? body["orderField"]),
            EntityValidator.AsString(fullText?["term"]) ?? EntityValidator.AsString(body["fullTextFilterTerm"]),
            (CatalogRequests.StringList(fullText?["fields"] ?? body["fullTextFilterFields"], "fullTextFilter.fields") ?? []).Select(f => f.ToLowerInvariant()).ToList(),
            predicate?.ToJsonString());
        var offset = body["offset"] is JsonValue o && o.TryGetValue<int>(out var off) && off >= 0 ? off : 0;
        return await RunAsync(request.HttpContext, index, gate, state, limit, offset, fields, ct).ConfigureAwait(false);
    }

    /// <summary><c>GET /entities</c>: a plain array; <c>after</c> continues where the previous page ended.</summary>
    public static async Task<IResult> ListAsync(HttpRequest request, CatalogService service, CatalogIndex index, CatalogReadGate gate, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var q = request.Query;
        var query = new EntityQuery(EntityQueryParser.ParseFilters(q["filter"]), EntityQueryParser.ParseLegacyOrder(q["order"]));
        var offset = CatalogRequests.ParseOffset(q["offset"]);
        if (q["after"].ToString() is { Length: > 0 } after)
        {
            var bytes = new byte[after.Length];
            offset = Convert.TryFromBase64String(after, bytes, out var n) && int.TryParse(System.Text.Encoding.UTF8.GetString(bytes, 0, n), out var o) && o >= 0
                ? o
                : throw ProblemException.BadRequest("after", "is not a cursor this catalog issued.");
        }

        // Backstage answers every matching entity when no limit is given; the answer streams, so that costs no memory.
        var limit = q["limit"].Count == 0 ? CatalogRequests.Unbounded : CatalogRequests.ParseLimit(q["limit"], CatalogRequests.MaxLimit);
        QueryPage page;
        using (await gate.EnterAsync(request.HttpContext, ct).ConfigureAwait(false))
        {
            page = index.Query(query, limit, offset: offset);
        }

        var fields = EntityQueryParser.ParseList(q["fields"]);
        if (page.Next is not null)
        {
            var next = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes((offset + page.Items.Count).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            request.HttpContext.Response.Headers.Append("Link", $"<{request.Path}?limit={limit}&after={Uri.EscapeDataString(next)}>; rel=\"next\"");
        }

        return EntityStream.Result(async s =>
        {
            var w = s.Json;
            w.WriteStartArray();
            foreach (var item in page.Items)
            {
                EntityJson.Write(w, item, fields);
                await s.FlushIfFullAsync().ConfigureAwait(false);
            }

            w.WriteEndArray();
        });
    }

    private static async Task<IResult> RunAsync(HttpContext context, CatalogIndex index, CatalogReadGate gate, QueryState state, int limit, int offset, List<string> fields, CancellationToken ct)
    {
        var query = state.ToQuery();
        QueryPage page;
        // The index work waits its turn; the answer is written after the turn ends (a slow reader holds no permit).
        using (await gate.EnterAsync(context, ct).ConfigureAwait(false))
        {
            page = index.Query(query, limit, state.Key, state.Backwards, offset);
        }

        var next = page.Next is null ? null : (state with { Key = page.Next, Backwards = false }).Encode();
        var prev = page.Prev is null ? null : (state with { Key = page.Prev, Backwards = true }).Encode();
        return EntityStream.Result(async s =>
        {
            var w = s.Json;
            w.WriteStartObject();
            w.WritePropertyName("items");
            w.WriteStartArray();
            foreach (var item in page.Items)
            {
                EntityJson.Write(w, item, fields);
                await s.FlushIfFullAsync().ConfigureAwait(false);
            }

            w.WriteEndArray();
            w.WriteNumber("totalItems", page.TotalItems);
            w.WriteStartObject("pageInfo");
            if (next is not null)
            {
                w.WriteString("nextCursor", next);
            }

            if (prev is not null)
            {
                w.WriteString("prevCursor", prev);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>POST filters: query-string style strings, or Backstage's EntityFilterQuery objects (<c>{key: value | [values] | null}</c>).</summary>
    private static List<FilterSet> ParseFilterNode(JsonNode? node)
    {
        var items = node switch
        {
            null => [],
            JsonArray a => a.ToList(),
            _ => [node],
        };
        var strings = new List<string?>();
        var sets = new List<FilterSet>();
        for (var i = 0; i < items.Count; i++)
        {
            switch (items[i])
            {
                case JsonValue v when EntityValidator.AsString(v) is { } s:
                    strings.Add(s);
                    break;
                case JsonObject o:
                    var conditions = new List<FilterCondition>();
                    foreach (var (key, value) in o)
                    {
                        var values = value switch
                        {
                            null => [],
                            JsonArray list => list.Select(x => Primitive(x, $"filter[{i}].{key}")).ToList(),
                            _ => [Primitive(value, $"filter[{i}].{key}")],
                        };
                        conditions.Add(new FilterCondition(key.ToLowerInvariant(), values));
                    }

                    sets.Add(new FilterSet(conditions));
                    break;
                default:
                    throw ProblemException.BadRequest($"filter[{i}]", "must be a filter string or an object of key/value conditions.");
            }
        }

        sets.AddRange(EntityQueryParser.ParseFilters(strings));
        return sets;
    }

    private static List<OrderDirective> ParseOrderNode(JsonNode? node) => node switch
    {
        null => [],
        JsonArray a when a.All(x => x is JsonObject) => a.Select(ToDirective).ToList(),
        JsonArray a => EntityQueryParser.ParseOrder(a.Select(x => EntityValidator.AsString(x) ?? throw ProblemException.BadRequest("orderField", "each entry must be \"<field>,asc|desc\"."))),
        JsonObject o => [ToDirective(o)],
        JsonValue v when EntityValidator.AsString(v) is { } s => EntityQueryParser.ParseOrder([s]),
        _ => throw ProblemException.BadRequest("orderField", "must be \"<field>,asc|desc\" or a list of them."),
    };

    private static OrderDirective ToDirective(JsonNode? node)
    {
        var field = EntityValidator.AsString(node?["field"]) ?? throw ProblemException.BadRequest("orderFields", "each entry needs a field.");
        var order = EntityValidator.AsString(node?["order"]) ?? "asc";
        return order is "asc" or "desc"
            ? new OrderDirective(field.ToLowerInvariant(), order == "desc")
            : throw ProblemException.BadRequest("orderFields", $"order '{order}' is not asc or desc.");
    }

    private static string Primitive(JsonNode? node, string field) =>
        node is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
            ? (v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()).ToLowerInvariant()
            : throw ProblemException.BadRequest(field, "must be a string, number or boolean.");
}
