using System.Text.Json;
using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Orchestration;

/// <summary><c>POST /api/orchestrations/instances/{id}/raiseEvent/{eventName}</c>, body = event data: 202; 404 unknown; 410 finished.</summary>
public static class RaiseEvent
{
    public static async Task<IResult> HandleAsync(string id, string eventName, HttpContext http, OrchestrationInstances instances, IOrchestrationAuthorizer authorizer, CancellationToken ct)
    {
        if (eventName.Length > 128 || eventName.Any(char.IsControl))
        {
            throw ProblemException.BadRequest("eventName", "Event names are 1-128 printable characters.");
        }

        var instance = await OrchestrationErrors.RequireAsync(instances, id, withPayloads: false, ct);
        await authorizer.DemandAsync(http, new OrchestrationAccessRequest(OrchestrationOperation.RaiseEvent, instance.Name, id, await instances.GetLabelsAsync(id, ct), eventName));
        JsonElement? data = null;
        using (var reader = new StreamReader(http.Request.Body))
        {
            var text = await reader.ReadToEndAsync(ct);
            if (!string.IsNullOrWhiteSpace(text))
            {
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    data = doc.RootElement.Clone();
                }
                catch (JsonException e)
                {
                    throw ProblemException.BadRequest("body", "The event data is not valid JSON: " + e.Message);
                }
            }
        }

        await OrchestrationErrors.MapAsync(async () =>
        {
            await instances.RaiseEventAsync(id, eventName, data, ct);
            return true;
        });
        await OrchestrationErrors.AuditAsync(http, "orchestration.raise-event", id, "success", new Dictionary<string, string> { ["event"] = eventName });
        return Results.Accepted();
    }
}
