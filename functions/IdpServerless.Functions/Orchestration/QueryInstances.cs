using System.Globalization;
using IdpServerless.Hosting.Durable;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Orchestration;

/// <summary>
/// <c>GET /api/orchestrations/instances?name=&amp;runtimeStatus=Running,Failed&amp;createdFrom=&amp;createdTo=&amp;label.component=&amp;top=&amp;continuationToken=&amp;showInput=</c>:
/// one page (default 100, at most 1000) and a continuation token (also in <c>x-ms-continuation-token</c>).
/// </summary>
public static class QueryInstances
{
    public static async Task<IResult> HandleAsync(HttpContext http, OrchestrationInstances instances, IOrchestrationAuthorizer authorizer, CancellationToken ct)
    {
        var q = http.Request.Query;
        var statuses = new List<OrchestrationRuntimeStatus>();
        foreach (var part in q["runtimeStatus"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<OrchestrationRuntimeStatus>(part, ignoreCase: true, out var s) || int.TryParse(part, out _) || !Enum.IsDefined(s))
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
        var token = q["continuationToken"].ToString() is { Length: > 0 } t ? t : null;
        var query = new OrchestrationQuery
        {
            Statuses = statuses.Count > 0 ? statuses : null,
            CreatedFrom = Time(q, "createdFrom"),
            CreatedTo = Time(q, "createdTo"),
            PageSize = top,
            ContinuationToken = token,
            FetchInputsAndOutputs = string.Equals(q["showInput"], "true", StringComparison.OrdinalIgnoreCase),
        };
        Page<OrchestrationMetadata>? page;
        try
        {
            // The task hub filters by status and creation time; name and labels are matched on each page, so a page can
            // hold fewer than top instances and still have a continuation token.
            page = null;
            await foreach (var p in instances.Client.GetAllInstancesAsync(query).AsPages(token, top).WithCancellation(ct))
            {
                page = p;
                break;
            }
        }
        catch (Exception e) when (token is not null && e is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unknown or Grpc.Core.StatusCode.InvalidArgument or Grpc.Core.StatusCode.Internal } or FormatException or System.Text.Json.JsonException)
        {
            throw ProblemException.BadRequest("continuationToken", "The continuation token is invalid.");
        }

        var named = (page?.Values ?? []).Where(m => name is null || string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        var withLabels = await Task.WhenAll(named.Select(async m => (Instance: m, Labels: await instances.GetLabelsAsync(m.InstanceId, ct), Failure: await instances.GetFailureAsync(m, ct, readHistory: false))));
        var matching = withLabels.Where(x => labels.All(l => x.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        var next = string.IsNullOrEmpty(page?.ContinuationToken) ? null : page.ContinuationToken;
        if (next is not null)
        {
            http.Response.Headers["x-ms-continuation-token"] = next;
        }

        return Results.Ok(new InstancePage(matching.Select(x => InstanceStatus.From(x.Instance, x.Labels, x.Failure)).ToList(), next));
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
