using System.Text.Encodings.Web;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IdpServerless.Functions.Identity.Authentication;

/// <summary>
/// The app's one authentication scheme: a bearer token (the dev issuer's in local mode, else the OIDC issuer's), or
/// Static Web Apps' client principal when trusted. Either way the identity becomes a catalog User with its groups.
/// A request without credentials is anonymous (no result); bad credentials fail, and a protected function answers 401.
/// </summary>
public sealed partial class IdpAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IdentityOptions options,
    DevIssuer devIssuer,
    OidcTokenValidator oidc,
    UserMapper mapper)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "Idp";
    private const int MaxTokenLength = 16 * 1024;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return Fail("Only bearer tokens are accepted.");
            }

            return await AuthenticateBearerAsync(authorization["Bearer ".Length..].Trim()).ConfigureAwait(false);
        }

        if (options.TrustSwaPrincipal && Request.Headers[SwaClientPrincipal.Header].ToString() is { Length: > 0 } swa)
        {
            var identifiers = SwaClientPrincipal.ReadIdentifiers(swa);
            if (identifiers is null)
            {
                return Fail("The x-ms-client-principal header is malformed or not signed in.");
            }

            return await MapAsync(mapper.MapIdentifiersAsync(identifiers, Context.RequestAborted), Channels.Browser).ConfigureAwait(false);
        }

        return AuthenticateResult.NoResult();
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Unauthenticated.WriteAsync(Context, Context.Features.Get<AuthenticationFailure>()?.Reason);

    // The authentication middleware keeps only successful results, so the reason a credential failed is kept here
    // for the 401 answer and the audit record.
    private AuthenticateResult Fail(string reason)
    {
        Context.Features.Set(new AuthenticationFailure(reason));
        return AuthenticateResult.Fail(reason);
    }
    private async Task<AuthenticateResult> AuthenticateBearerAsync(string token)
    {
        if (token.Length is 0 or > MaxTokenLength)
        {
            return Fail("The bearer token is empty or too long.");
        }

        string issuer;
        try
        {
            issuer = new JsonWebToken(token).Issuer;
        }
        catch (ArgumentException)
        {
            return Fail("The bearer token is not a JWT.");
        }

        TokenValidationResult result;
        var dev = issuer == DevIssuer.Issuer;
        if (dev)
        {
            if (!devIssuer.Enabled)
            {
                return Fail("Tokens of the local dev issuer are not accepted here.");
            }

            result = await devIssuer.ValidateAsync(token).ConfigureAwait(false);
        }
        else if (oidc.Enabled)
        {
            result = await oidc.ValidateAsync(token, Context.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            return Fail("No OIDC issuer is configured (IDP_OIDC_AUTHORITY), so this token cannot be checked.");
        }

        if (!result.IsValid)
        {
            LogRejected(Logger, result.Exception?.GetType().Name ?? "unknown");
            return Fail("The bearer token is not valid: " + Describe(result.Exception));
        }

        var channel = Request.Headers.ContainsKey("Sec-Fetch-Mode") || Request.Headers.ContainsKey("Origin") ? Channels.Browser : Channels.Api;
        if (dev)
        {
            var userRef = result.ClaimsIdentity.FindFirst(Caller.UserRefClaim)?.Value ?? string.Empty;
            return await MapAsync(mapper.MapUserRefAsync(userRef, Context.RequestAborted), channel).ConfigureAwait(false);
        }

        var identifiers = UserMapper.IdentifierClaims.SelectMany(t => result.ClaimsIdentity.FindAll(t)).Select(c => c.Value);
        return await MapAsync(mapper.MapIdentifiersAsync(identifiers, Context.RequestAborted), channel).ConfigureAwait(false);
    }

    private async Task<AuthenticateResult> MapAsync(ValueTask<UserMapping> mapping, string channel)
    {
        var m = await mapping.ConfigureAwait(false);
        if (m.User is null)
        {
            LogUnmapped(Logger);
            return Fail(m.Failure ?? "No catalog User matches this identity.");
        }

        return AuthenticateResult.Success(new AuthenticationTicket(UserMapper.ToPrincipal(m.User, channel, SchemeName), SchemeName));
    }

    // Fixed phrases: exception messages of token libraries can quote token content, so none is passed on.
    private static string Describe(Exception? e) => e switch
    {
        SecurityTokenExpiredException => "it has expired.",
        SecurityTokenNotYetValidException => "it is not valid yet.",
        SecurityTokenInvalidAudienceException => "it was issued for another audience.",
        SecurityTokenInvalidIssuerException => "it was issued by another issuer.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "its signature does not verify.",
        SecurityTokenNoExpirationException => "it has no expiry.",
        SecurityTokenMalformedException => "it is malformed.",
        _ => "it could not be validated.",
    };

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Bearer token rejected ({Reason})")]
    private static partial void LogRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "A valid identity matches no catalog User")]
    private static partial void LogUnmapped(ILogger logger);
}

/// <summary>Why this request's credentials were refused.</summary>
public sealed record AuthenticationFailure(string Reason);

/// <summary>The 401 answer: ProblemDetails plus <c>WWW-Authenticate: Bearer</c> (RFC 6750) saying what was wrong.</summary>
public static class Unauthenticated
{
    public static Task WriteAsync(HttpContext context, string? failure)
    {
        var challenge = failure is null
            ? "Bearer"
            : $"Bearer error=\"invalid_token\", error_description=\"{Sanitize(failure)}\"";
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
            Detail = failure ?? "This function needs a signed-in caller; send Authorization: Bearer <token>.",
        });
    }

    private static string Sanitize(string s) =>
        new(s.Where(c => c is >= ' ' and <= '~' && c is not '"' and not '\\').ToArray());
}
