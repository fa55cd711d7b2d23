namespace IdpServerless.Functions.Identity.Hardening;

/// <summary>
/// Headers every API response carries: no MIME sniffing, no framing, no referrer, a CSP that lets nothing load or run
/// (API responses are data, never pages; a handler that serves a page sets its own CSP), and HSTS over https.
/// Set when the response starts, so error responses written after a reset carry them too.
/// </summary>
public sealed class SecurityHeadersMiddleware(RequestDelegate next, IdentityOptions options)
{
    public const string ApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var (ctx, behindHost) = ((HttpContext, bool))state;
            var h = ctx.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "no-referrer";
            if (string.IsNullOrEmpty(h.ContentSecurityPolicy))
            {
                h.ContentSecurityPolicy = ApiContentSecurityPolicy;
            }

            var https = ctx.Request.IsHttps ||
                        (behindHost && string.Equals(ctx.Request.Headers["X-Forwarded-Proto"], "https", StringComparison.OrdinalIgnoreCase));
            if (https)
            {
                h.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
            }

            return Task.CompletedTask;
        }, (context, options.BehindFunctionsHost));
        return next(context);
    }
}
