using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Hosting.Problems;
using Microsoft.AspNetCore.WebUtilities;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>
/// A by-query request in full: what it selects and where the page starts. A cursor is this state encoded, so a
/// client passing only <c>cursor</c> gets the same filters, order and term (as Backstage's cursors work).
/// </summary>
public sealed record QueryState(
    List<FilterSet> Filters,
    List<OrderDirective> Order,
    string? Term,
    List<string>? TermFields,
    string? Predicate,
    CursorKey? Key = null,
    bool Backwards = false)
{
    public EntityQuery ToQuery() =>
        new(Filters, Order, string.IsNullOrWhiteSpace(Term) ? null : Term, TermFields, Predicate is null ? null : QueryPredicate.Parse(JsonNode.Parse(Predicate)));

    public string Encode() => WebEncoders.Base64UrlEncode(JsonSerializer.SerializeToUtf8Bytes(this, JsonSerializerOptions.Web));

    public static QueryState Decode(string cursor)
    {
        try
        {
            var state = JsonSerializer.Deserialize<QueryState>(WebEncoders.Base64UrlDecode(cursor), JsonSerializerOptions.Web);
            if (state?.Filters is null || state.Order is null)
            {
                throw new FormatException("incomplete cursor");
            }

            return state;
        }
        catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException or ArgumentException)
        {
            throw ProblemException.BadRequest("cursor", "is not a cursor this catalog issued.");
        }
    }
}
