using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Catalog.Index;

/// <summary>One condition of a filter set: the key exists (no values) or has any of the values (lowercased).</summary>
public sealed record FilterCondition(string Key, IReadOnlyList<string> Values);

/// <summary>Conditions that must all hold. Several sets in one query are alternatives.</summary>
public sealed record FilterSet(IReadOnlyList<FilterCondition> Conditions);

/// <summary>An ordering directive on a flattened key (lowercased).</summary>
public sealed record OrderDirective(string Field, bool Descending);

/// <summary>
/// What a by-query, facets or list request selects: filter sets (ORed), an optional predicate (POST), an optional
/// full-text term restricted to some fields, and the order.
/// </summary>
public sealed record EntityQuery(
    IReadOnlyList<FilterSet> Filters,
    IReadOnlyList<OrderDirective> Order,
    string? Term = null,
    IReadOnlyList<string>? TermFields = null,
    QueryPredicate? Predicate = null)
{
    public static EntityQuery All { get; } = new([], []);
}

/// <summary>Parses Backstage's query-string forms of filters and order fields.</summary>
public static class EntityQueryParser
{
    /// <summary>
    /// <c>filter=kind=component,spec.type=service&amp;filter=kind=api</c>: statements inside one parameter are ANDed
    /// (repeated keys in one parameter are alternatives), parameters are ORed; <c>key</c> alone means "exists".
    /// </summary>
    public static List<FilterSet> ParseFilters(IEnumerable<string?> parameters)
    {
        var sets = new List<FilterSet>();
        foreach (var parameter in parameters)
        {
            if (string.IsNullOrWhiteSpace(parameter))
            {
                continue;
            }

            var byKey = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var statement in parameter.Split(','))
            {
                var eq = statement.IndexOf('=', StringComparison.Ordinal);
                var key = (eq < 0 ? statement : statement[..eq]).Trim().ToLowerInvariant();
                if (key.Length == 0)
                {
                    throw ProblemException.BadRequest("filter", $"'{statement}' is not a valid statement (expected a string on the form a=b or a= or a).");
                }

                if (!byKey.TryGetValue(key, out var values))
                {
                    byKey[key] = values = [];
                }

                if (eq >= 0)
                {
                    values.Add(statement[(eq + 1)..].Trim().ToLowerInvariant());
                }
            }

            sets.Add(new FilterSet(byKey.Select(kv => new FilterCondition(kv.Key, kv.Value)).ToList()));
        }

        return sets;
    }

    /// <summary><c>orderField=metadata.name,asc</c> (repeatable; the direction defaults to asc).</summary>
    public static List<OrderDirective> ParseOrder(IEnumerable<string?> parameters, string parameterName = "orderField")
    {
        var result = new List<OrderDirective>();
        foreach (var parameter in parameters)
        {
            if (string.IsNullOrWhiteSpace(parameter))
            {
                continue;
            }

            var parts = parameter.Split(',');
            var field = parts[0].Trim().ToLowerInvariant();
            var direction = parts.Length > 1 ? parts[1].Trim().ToLowerInvariant() : "asc";
            if (field.Length == 0 || parts.Length > 2 || direction is not ("asc" or "desc"))
            {
                throw ProblemException.BadRequest(parameterName, $"'{parameter}' is not valid; expected <field>,asc or <field>,desc.");
            }

            result.Add(new OrderDirective(field, direction == "desc"));
        }

        return result;
    }

    /// <summary>Legacy <c>order=asc:metadata.name</c> of <c>GET /entities</c>.</summary>
    public static List<OrderDirective> ParseLegacyOrder(IEnumerable<string?> parameters)
    {
        var result = new List<OrderDirective>();
        foreach (var parameter in parameters)
        {
            if (string.IsNullOrWhiteSpace(parameter))
            {
                continue;
            }

            var colon = parameter.IndexOf(':', StringComparison.Ordinal);
            var direction = colon < 0 ? "asc" : parameter[..colon].Trim().ToLowerInvariant();
            var field = (colon < 0 ? parameter : parameter[(colon + 1)..]).Trim().ToLowerInvariant();
            if (field.Length == 0 || direction is not ("asc" or "desc"))
            {
                throw ProblemException.BadRequest("order", $"'{parameter}' is not valid; expected asc:<field> or desc:<field>.");
            }

            result.Add(new OrderDirective(field, direction == "desc"));
        }

        return result;
    }

    /// <summary>Comma-separated, possibly repeated list parameters (fields, fullTextFilterFields, facet).</summary>
    public static List<string> ParseList(IEnumerable<string?> parameters, bool lower = false) =>
        parameters.Where(p => !string.IsNullOrWhiteSpace(p))
            .SelectMany(p => p!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(p => lower ? p.ToLowerInvariant() : p)
            .Distinct(StringComparer.Ordinal)
            .ToList();
}
