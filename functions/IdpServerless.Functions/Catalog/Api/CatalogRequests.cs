using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Hosting.Problems;
using Microsoft.Extensions.Primitives;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>Reading catalog requests: JSON bodies, limits, entity refs; every mistake a 400 naming the field.</summary>
public static class CatalogRequests
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 10_000;

    /// <summary>The limit of a <c>GET /entities</c> without one: every match (the answer streams).</summary>
    public const int Unbounded = int.MaxValue / 2;

    /// <summary>The body as a JSON object (the request size limit applies); 400 when it is missing or not an object.</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw ProblemException.BadRequest("body", "is not valid JSON: " + e.Message);
        }

        return node as JsonObject ?? throw ProblemException.BadRequest("body", "must be a JSON object.");
    }

    public static int ParseLimit(StringValues value, int fallback = DefaultLimit) => ParseLimit(value.ToString(), fallback);

    public static int ParseLimit(string? value, int fallback = DefaultLimit)
    {
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit > MaxLimit)
        {
            throw ProblemException.BadRequest("limit", $"must be a whole number from 0 to {MaxLimit}.");
        }

        return limit;
    }

    public static int ParseOffset(StringValues value)
    {
        var text = value.ToString();
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            ? offset
            : throw ProblemException.BadRequest("offset", "must be a whole number of 0 or more.");
    }

    /// <summary>A full ref <c>kind:namespace/name</c> (namespace may be omitted); 400 naming <paramref name="field"/> otherwise.</summary>
    public static string ParseRef(string? text, string field)
    {
        try
        {
            return EntityRef.Parse(text).ToString();
        }
        catch (FormatException e)
        {
            throw ProblemException.BadRequest(field, e.Message);
        }
    }

    /// <summary>A list of strings from a JSON array or a comma-separated string; null when absent.</summary>
    public static List<string>? StringList(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonArray a => a.Select((n, i) => EntityValidator.AsString(n) ?? throw ProblemException.BadRequest($"{field}[{i}]", "must be a string.")).ToList(),
        JsonValue v when EntityValidator.AsString(v) is { } s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
        _ => throw ProblemException.BadRequest(field, "must be a list of strings."),
    };
}
