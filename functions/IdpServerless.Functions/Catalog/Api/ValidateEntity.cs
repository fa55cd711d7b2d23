using System.Diagnostics;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>
/// <c>POST /validate-entity</c> with <c>{entity, location}</c>: 200 when the entity would ingest, else 400 whose
/// <c>errors</c> is Backstage's list of <c>{name, message}</c> (plus <c>field</c>), the one place our error body
/// carries a list there, because Backstage's client reads it as one.
/// </summary>
public static class ValidateEntity
{
    public static async Task<IResult> PostAsync(HttpRequest request, CancellationToken ct)
    {
        var body = await CatalogRequests.ReadObjectAsync(request, ct).ConfigureAwait(false);
        if (EntityValidator.AsString(body["location"]) is not { Length: > 0 })
        {
            throw CatalogProblems.Input("location", "is required: where the entity comes from, e.g. \"url:https://example.com/catalog-info.yaml\".");
        }

        if (body["entity"] is not JsonObject entity)
        {
            throw CatalogProblems.Input("entity", "is required: the entity object to validate.");
        }

        entity = entity.DeepClone().AsObject();
        entity.Remove("relations");
        entity.Remove("status");
        if (entity["metadata"] is JsonObject metadata)
        {
            metadata.Remove("uid");
            metadata.Remove("etag");
        }

        var problems = EntityValidator.Validate(entity);
        if (problems.Count == 0)
        {
            return Results.Ok(new { valid = true });
        }

        var name = EntityValidator.AsString(entity["metadata"]?["name"]);
        var kind = EntityValidator.AsString(entity["kind"]);
        var who = name is null ? "The entity" : $"{(kind ?? "?").ToLowerInvariant()}:{(EntityValidator.AsString(entity["metadata"]?["namespace"]) ?? "default").ToLowerInvariant()}/{name.ToLowerInvariant()}";
        var messages = problems.Select(p => $"{who}: {(p.Field.Length == 0 ? string.Empty : p.Field + ": ")}{p.Message}").ToList();
        return Results.Json(new
        {
            type = ProblemTypes.Validation,
            title = "The entity is invalid.",
            status = 400,
            detail = string.Join(" ", messages),
            instance = request.Path.Value,
            errors = problems.Select((p, i) => new { name = "InputError", message = messages[i], field = p.Field }),
            error = new { name = "InputError", message = string.Join(" ", messages) },
            request = new { method = request.Method, url = request.Path.Value + request.QueryString },
            response = new { statusCode = 400 },
            traceId = Activity.Current?.TraceId.ToString() ?? request.HttpContext.TraceIdentifier,
        }, contentType: "application/json", statusCode: 400);
    }
}
