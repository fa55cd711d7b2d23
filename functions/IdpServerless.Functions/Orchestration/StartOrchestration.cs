using System.Text.Json;
using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Orchestration;

/// <summary>
/// <c>POST /api/orchestrations/{name}[?instanceId=][&amp;label.key=value]</c>, body = the input JSON (optional):
/// 202 with <c>Location</c> and the management payload; 404 unknown orchestrator; 409 a running instance has the id.
/// </summary>
public static class StartOrchestration
{
    public static async Task<IResult> HandleAsync(
        string name, HttpContext http, OrchestrationInstances instances, KnownOrchestrators orchestrators, IOrchestrationAuthorizer authorizer, CancellationToken ct)
    {
        if (!orchestrators.TryGetName(name, out var orchestrator))
        {
            throw ProblemException.NotFound($"No orchestrator named '{name}'.");
        }

        var instanceId = http.Request.Query["instanceId"].ToString();
        if (instanceId.Length > 0 && !InstanceIds.IsValid(instanceId))
        {
            throw ProblemException.BadRequest("instanceId", "Use 1-100 of A-Z a-z 0-9 - _ . : @.");
        }

        var labels = OrchestrationErrors.Labels(http.Request.Query);
        var input = await ReadInputAsync(http.Request, ct);
        await authorizer.DemandAsync(http, new OrchestrationAccessRequest(OrchestrationOperation.Start, name, instanceId.Length > 0 ? instanceId : null, labels));
        var id = await OrchestrationErrors.MapAsync(() => instances.StartAsync(
            orchestrator, input, instanceId.Length > 0 ? instanceId : null, labels, ct));
        await OrchestrationErrors.AuditAsync(http, "orchestration.start", id, "success", new Dictionary<string, string> { ["orchestrator"] = name });
        var payload = ManagementPayload.For(http.Request, id);
        return Results.Json(payload, statusCode: StatusCodes.Status202Accepted, contentType: null).WithLocation(payload.StatusQueryGetUri);
    }

    private static async Task<JsonElement?> ReadInputAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(ct);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw ProblemException.BadRequest("body", "The input is not valid JSON: " + e.Message);
        }
    }
}

internal static class ResultLocationExtensions
{
    public static IResult WithLocation(this IResult result, string location) => new LocatedResult(result, location);

    private sealed class LocatedResult(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
