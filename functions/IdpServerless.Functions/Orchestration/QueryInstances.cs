using System.Globalization;
using IdpServerless.Durable;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Orchestration;

/// <summary>
/// <c>GET /api/orchestrations/instances?name=&amp;runtimeStatus=Running,Failed&amp;createdFrom=&amp;createdTo=&amp;label.component=&amp;top=&amp;continuationToken=&amp;showInput=</c>:
/// one page (default 100, at most 1000) and a continuation token (also in <c>x-ms-continuation-token</c>).
/// </summary>
public static class QueryInstances
{
    public static async Task<IResult> HandleAsync(HttpContext http, IOrchestrationClient client, IOrchestrationAuthorizer authorizer, CancellationToken ct)
    {
        var q = http.Request.Query;
        var statuses = new List<OrchestrationRuntimeStatus>();
        foreach (var part in q["runtimeStatus"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<OrchestrationRuntimeStatus>(part, ignoreCase: true, out var s) || int.TryParse(part, out _))
            {
                throw ProblemException.BadRequest("runtimeStatus", $"'{part}' is not one of {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}.");
            }

            statuses.Add(s);
        }

        var top = 100;
        if (q["top"].ToString() is { Length: > 0 } topText && (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top is < 1 or > 1000))
        {
            throw ProblemException.BadRequest("top", "Must be a whole number from 1 to 1000.");
        }

        var labels = OrchestrationErrors.Labels(q);
        var name = q["name"].ToString() is { Length: > 0 } n ? n : null;
        await authorizer.DemandAsync(http, new OrchestrationAccessRequest(OrchestrationOperation.Read, name, null, labels));
        var query = new OrchestrationQuery(
            name, statuses, Time(q, "createdFrom"), Time(q, "createdTo"), labels, top,
            q["continuationToken"].ToString() is { Length: > 0 } token ? token : null,
            string.Equals(q["showInput"], "true", StringComparison.OrdinalIgnoreCase));
        OrchestrationQueryResult page;
        try
        {
            page = await client.QueryAsync(query, ct);
        }
        catch (ArgumentException e) when (e.ParamName == "token")
        {
            throw ProblemException.BadRequest("continuationToken", "The continuation token is invalid.");
        }

        if (page.ContinuationToken is { } next)
        {
            http.Response.Headers["x-ms-continuation-token"] = next;
        }

        return Results.Ok(new InstancePage(page.Instances.Select(InstanceStatus.From).ToList(), page.ContinuationToken));
    }

    private static DateTimeOffset? Time(IQueryCollection q, string field)
    {
        var text = q[field].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw ProblemException.BadRequest(field, "Must be an ISO 8601 time, e.g. 2026-11-21T10:00:00Z.");
    }
}
