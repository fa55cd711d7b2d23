using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace IdpServerless.Hosting.Problems;

/// <summary>
/// A request whose route exists only for other methods. Routing then selects ASP.NET Core's own rejection endpoint
/// (<c>HttpMethodMatcherPolicy</c>): no route, no metadata, it only sets 405 and <c>Allow</c>. It runs no function, so
/// the access middleware lets it through, and the status-code page turns it into a ProblemDetails keeping <c>Allow</c>.
/// </summary>
public static class MethodNotAllowed
{
    /// <summary>The display name ASP.NET Core gives its 405 endpoint.</summary>
    public const string RejectionEndpointName = "405 HTTP Method Not Supported";

    public static bool IsRejectionEndpoint(Endpoint endpoint) =>
        endpoint is not RouteEndpoint && endpoint.Metadata.Count == 0 &&
        string.Equals(endpoint.DisplayName, RejectionEndpointName, StringComparison.Ordinal);

    /// <summary>The 405 body for the response as the rejection endpoint left it (status and <c>Allow</c> set).</summary>
    public static ProblemDetails Problem(HttpContext context)
    {
        var allow = context.Response.Headers.Allow.ToString()
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status405MethodNotAllowed,
            Type = ProblemTypes.MethodNotAllowed,
            Title = "This method is not allowed on this route.",
            Detail = allow.Length == 0
                ? $"{context.Request.Method} is not allowed on {context.Request.Path}."
                : $"{context.Request.Method} is not allowed on {context.Request.Path}; it answers {string.Join(", ", allow)}.",
        };
        problem.Extensions["allow"] = allow;
        return problem;
    }
}
