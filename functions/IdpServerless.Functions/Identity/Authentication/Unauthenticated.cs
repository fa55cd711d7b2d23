using IdpServerless.Hosting.Problems;
using Microsoft.AspNetCore.Mvc;

namespace IdpServerless.Functions.Identity.Authentication;

/// <summary>
/// Why this request's credentials were refused (a fixed phrase, never token content). <see cref="IssuerUnavailable"/>:
/// the token could not be checked because its issuer's discovery document or keys could not be fetched.
/// </summary>
public sealed record AuthenticationFailure(string Reason, bool IssuerUnavailable = false);

/// <summary>
/// The 401 answer: ProblemDetails plus <c>WWW-Authenticate: Bearer</c> (RFC 6750) saying what was wrong; or, when the
/// issuer could not be reached, a 503 (the token may be fine: try again later, do not sign in again).
/// </summary>
public static class Unauthenticated
{
    public static Task WriteAsync(HttpContext context, AuthenticationFailure? failure)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (failure is { IssuerUnavailable: true })
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.RetryAfter = "30";
                return Task.CompletedTask;
            });
            return ProblemMiddleware.WriteAsync(context, new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Type = ProblemTypes.Unavailable,
                Title = "The identity provider cannot be reached.",
                Detail = failure.Reason,
            });
        }

        var challenge = failure is null
            ? "Bearer"
            : $"Bearer error=\"invalid_token\", error_description=\"{Sanitize(failure.Reason)}\"";
        context.Response.OnStarting(() =>
        {
            context.Response.Headers.WWWAuthenticate = challenge;
            return Task.CompletedTask;
        });
        return ProblemMiddleware.WriteAsync(context, new ProblemDetails
        {
            Status = StatusCodes.Status401Unauthorized,
            Type = ProblemTypes.Unauthenticated,
            Title = "Sign in: a valid bearer token is required.",
            Detail = failure?.Reason ?? "This function needs a signed-in caller; send Authorization: Bearer <token>.",
        });
    }

    /// <summary>Records why the credentials were refused, for the answer and the audit record; returns the failed result.</summary>
    public static Microsoft.AspNetCore.Authentication.AuthenticateResult Fail(HttpContext context, string reason, bool issuerUnavailable = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        // The authentication middleware keeps only successful results, so the reason is kept on the request.
        context.Features.Set(new AuthenticationFailure(reason, issuerUnavailable));
        return Microsoft.AspNetCore.Authentication.AuthenticateResult.Fail(reason);
    }

    private static string Sanitize(string s) =>
        new(s.Where(c => c is >= ' ' and <= '~' && c is not '"' and not '\\').ToArray());
}
