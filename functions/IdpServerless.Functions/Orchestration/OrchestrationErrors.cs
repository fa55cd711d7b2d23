using IdpServerless.Hosting.Durable;
using Microsoft.DurableTask.Client;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Orchestration;

/// <summary>Maps the client's exceptions to ProblemDetails and audits control actions.</summary>
internal static class OrchestrationErrors
{
    public static async Task<T> MapAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (OrchestrationNotFoundException e)
        {
            throw ProblemException.NotFound($"No orchestration instance '{e.InstanceId}'.");
        }
        catch (OrchestrationFinishedException e)
        {
            throw ProblemException.Gone($"Orchestration instance '{e.InstanceId}' has finished ({e.Status}).");
        }
        catch (OrchestrationAlreadyRunningException e)
        {
            throw ProblemException.Conflict($"Orchestration instance '{e.InstanceId}' exists and has not finished.");
        }
        catch (OrchestrationNotFinishedException e)
        {
            throw ProblemException.Conflict($"Orchestration instance '{e.InstanceId}' is {e.Status}: only finished instances can be purged.");
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded or Grpc.Core.StatusCode.Internal or Grpc.Core.StatusCode.Unknown)
        {
            // The task hub (its storage) is down or overloaded: not the caller's fault, and worth retrying.
            throw new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "The task hub is not answering; try again.", e.StatusCode.ToString());
        }
    }

    /// <summary>The instance (status only) or 404.</summary>
    public static async Task<OrchestrationMetadata> RequireAsync(OrchestrationInstances instances, string id, bool withPayloads, CancellationToken ct) =>
        await MapAsync(() => instances.Client.GetInstanceAsync(id, withPayloads, ct)) ?? throw ProblemException.NotFound($"No orchestration instance '{id}'.");

    public static async Task AuditAsync(HttpContext http, string action, string target, string outcome, IReadOnlyDictionary<string, string>? detail = null)
    {
        if (http.RequestServices.GetService<IAuditLog>() is { } audit)
        {
            await audit.RecordAsync(new AuditEvent(action, target, outcome, http.GetCaller(), http.TraceIdentifier, http.Connection.RemoteIpAddress?.ToString(), detail), http.RequestAborted);
        }
    }

    /// <summary><c>label.key=value</c> query parameters.</summary>
    public static Dictionary<string, string> Labels(IQueryCollection query)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in query)
        {
            if (key.StartsWith("label.", StringComparison.OrdinalIgnoreCase) && key.Length > 6)
            {
                var name = key[6..];
                if (name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                {
                    throw ProblemException.BadRequest(key, "Label names are 1-64 of A-Z a-z 0-9 _.");
                }

                if (value.ToString().Length > 256)
                {
                    throw ProblemException.BadRequest(key, "Label values are at most 256 characters.");
                }

                labels[name] = value.ToString();
            }
        }

        if (labels.Count > 16)
        {
            throw ProblemException.BadRequest("label", "At most 16 labels.");
        }

        return labels;
    }
}
