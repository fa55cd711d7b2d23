using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Orchestration;

/// <summary>
/// <c>GET /api/orchestrations/stuck[?olderThan=00:15:00]</c>: Pending or Running instances that wait for activities, an
/// overdue timer or an overdue start and have made no progress for that long (default <c>Durable:StuckAfter</c>).
/// </summary>
public static class ListStuckInstances
{
    public static async Task<IResult> HandleAsync(string? olderThan, HttpContext http, StuckInstanceDetector detector, IOrchestrationAuthorizer authorizer, CancellationToken ct)
    {
        TimeSpan? threshold = null;
        if (!string.IsNullOrEmpty(olderThan))
        {
            threshold = TimeSpan.TryParse(olderThan, System.Globalization.CultureInfo.InvariantCulture, out var t) && t >= TimeSpan.Zero
                ? t
                : throw ProblemException.BadRequest("olderThan", "Must be a duration such as 00:15:00.");
        }

        await authorizer.DemandAsync(http, new OrchestrationAccessRequest(OrchestrationOperation.Read, null, null, new Dictionary<string, string>()));
        var stuck = await detector.FindAsync(threshold, 1000, ct);
        return Results.Ok(new { threshold = threshold ?? detector.DefaultThreshold, instances = stuck });
    }
}
