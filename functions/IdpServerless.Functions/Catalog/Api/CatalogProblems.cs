using System.Diagnostics;
using IdpServerless.Functions.Catalog.Ingestion;
using IdpServerless.Hosting.Problems;
using Microsoft.AspNetCore.Mvc;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>
/// The catalog's error body: our ProblemDetails (stable <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c>,
/// <c>errors</c> by field) plus the members Backstage's clients read (<c>error: {name, message}</c>, <c>request</c>,
/// <c>response: {statusCode}</c>), served as <c>application/json</c> because Backstage's client only parses that media type.
/// </summary>
public static class CatalogProblems
{
    /// <summary>A 400 (or the given status) naming the field.</summary>
    public static ProblemException Input(string field, string message, int status = 400) =>
        new(status, status == 413 ? ProblemTypes.PayloadTooLarge : ProblemTypes.BadRequest,
            status == 413 ? "Payload too large." : "The request is malformed.", $"{field}: {message}",
            new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemException NotFound(string detail) => ProblemException.NotFound(detail);

    public static ProblemException Conflict(string detail) => ProblemException.Conflict(detail);

    /// <summary>
    /// A registration refused because of what the location contains: 413 when something is too large, 409 for a
    /// duplicate entity, else 400; every problem is listed by field and in <c>problems</c> with file, line and entity.
    /// </summary>
    public static ProblemException FromProcessing(LocationSpec spec, IReadOnlyList<ProcessingProblem> problems)
    {
        var status = problems.Any(p => p.Status == 413) ? 413 : problems.All(p => p.Status == 409) ? 409 : 400;
        var errors = problems
            .GroupBy(p => p.Field.Length == 0 ? "location" : p.Field)
            .ToDictionary(g => g.Key, g => g.Select(p => p.ToString()).Distinct().Take(20).ToArray());
        var detail = problems.Count == 1
            ? problems[0].ToString()
            : $"{problems.Count} problems in {spec}; the first: {problems[0]}";
        var type = status switch { 413 => ProblemTypes.PayloadTooLarge, 409 => ProblemTypes.Conflict, _ => ProblemTypes.Validation };
        var title = status switch { 413 => "Payload too large.", 409 => "Conflict.", _ => "The catalog data is invalid." };
        var e = new ProblemException(status, type, title, detail, errors);
        e.Extensions["problems"] = problems.Take(100).Select(p => new { location = p.Source, line = p.Line, entityRef = p.EntityRef, field = p.Field, message = p.Message }).ToList();
        return e;
    }

    /// <summary>Writes <paramref name="e"/> as the catalog's error body.</summary>
    public static IResult ToResult(ProblemException e, HttpContext context)
    {
        var problem = e.ToProblemDetails(context.Request.Path);
        problem.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
        problem.Extensions["error"] = new { name = ErrorName(e.Status), message = e.Detail ?? e.Title };
        problem.Extensions["request"] = new { method = context.Request.Method, url = context.Request.Path + context.Request.QueryString };
        problem.Extensions["response"] = new { statusCode = e.Status };
        return Results.Json<object>(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/json", e.Status);
    }

    /// <summary>Backstage's error names (from <c>@backstage/errors</c>) for a status.</summary>
    public static string ErrorName(int status) => status switch
    {
        400 or 413 or 422 => "InputError",
        401 => "AuthenticationError",
        403 => "NotAllowedError",
        404 => "NotFoundError",
        409 => "ConflictError",
        503 => "ServiceUnavailableError",
        _ => "Error",
    };
}

/// <summary>Turns a <see cref="ProblemException"/> thrown by a catalog handler into the catalog's error body.</summary>
public sealed class CatalogErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (ProblemException e)
        {
            return CatalogProblems.ToResult(e, context.HttpContext);
        }
    }
}
