using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace IdpServerless.Hosting.Problems;

/// <summary>A function's own body limit (e.g. webhooks accept what GitHub sends), instead of <c>IDP_MAX_REQUEST_BYTES</c>.</summary>
public sealed class RequestBodyLimit(long maxBytes) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize => maxBytes;
}

/// <summary>
/// Answers 413 before any function runs when a request's <c>Content-Length</c> is over its limit (the endpoint's
/// <see cref="IRequestSizeLimitMetadata"/>, else <c>IDP_MAX_REQUEST_BYTES</c>). Kestrel only notices when a handler
/// reads the body: a function that ignores its body answered as if nothing were wrong, and the connection was then cut
/// while Kestrel drained the rest. The 413 says <c>Connection: close</c>, so the client does not reuse that connection.
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        var own = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize;
        if (own is not null && feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = own;
        }

        var limit = own ?? feature?.MaxRequestBodySize;
        if (limit is null || context.Request.ContentLength is not { } length || length <= limit)
        {
            return next(context);
        }

        context.Response.Headers.Connection = "close";
        var problem = ProblemException.TooLarge($"The request body ({length} bytes) is larger than the {limit} bytes this function accepts.").ToProblemDetails();
        return ProblemMiddleware.WriteAsync(context, problem, "Connection");
    }
}
