using System.Net.Http;
using IdpServerless.Hosting.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace IdpServerless.Functions.Identity.Authentication;

/// <summary>
/// What every bearer scheme does around JwtBearer's validation: a validated token becomes a catalog User (by the dev
/// token's user ref, or by e-mail / <c>preferred_username</c> / <c>upn</c>) with the roles and groups its mapped claims
/// grant; a refused one gets a fixed phrase (never the library's message, which can quote the token); and an issuer
/// whose discovery document or keys cannot be fetched becomes a 503 instead of the exception JwtBearer rethrows (a 500).
/// </summary>
public sealed partial class BearerTokenEvents(UserMapper mapper, TokenClaimGrants grants, ILogger<BearerTokenEvents> logger)
{
    public const string UnavailableReason = "The token's issuer cannot be reached for its discovery document or signing keys, so the token cannot be checked; try again shortly.";

    /// <summary>
    /// Chains our handlers after those already on <paramref name="events"/> (Microsoft.Identity.Web's checks run first).
    /// <paramref name="mapIdentifiers"/>: false for the dev issuer, whose tokens name the catalog User directly.
    /// </summary>
    public static void Attach(JwtBearerEvents events, bool mapIdentifiers)
    {
        ArgumentNullException.ThrowIfNull(events);
        var validated = events.OnTokenValidated;
        events.OnTokenValidated = async context =>
        {
            await validated(context).ConfigureAwait(false);
            if (context.Result is null)
            {
                await Of(context.HttpContext).TokenValidatedAsync(context, mapIdentifiers).ConfigureAwait(false);
            }
            else if (context.Result.Failure is not null && context.HttpContext.Features.Get<AuthenticationFailure>() is null)
            {
                // Microsoft.Identity.Web refuses an access token with neither scp nor roles.
                Unauthenticated.Fail(context.HttpContext, "The bearer token is not valid: it carries neither a scp nor a roles claim (an ID token or a token for another API?).");
            }
        };

        var failed = events.OnAuthenticationFailed;
        events.OnAuthenticationFailed = async context =>
        {
            await failed(context).ConfigureAwait(false);
            if (context.Result is null)
            {
                await Of(context.HttpContext).AuthenticationFailedAsync(context).ConfigureAwait(false);
            }
        };

        var challenge = events.OnChallenge;
        events.OnChallenge = async context =>
        {
            await challenge(context).ConfigureAwait(false);
            if (!context.Handled)
            {
                context.HandleResponse();
                await Unauthenticated.WriteAsync(context.HttpContext, context.HttpContext.Features.Get<AuthenticationFailure>()).ConfigureAwait(false);
            }
        };
    }

    private static readonly object MappingFailureKey = new();

    private static BearerTokenEvents Of(HttpContext context) => context.RequestServices.GetRequiredService<BearerTokenEvents>();

    private async Task TokenValidatedAsync(TokenValidatedContext context, bool mapIdentifiers)
    {
        var token = context.Principal ?? new System.Security.Claims.ClaimsPrincipal();
        var ct = context.HttpContext.RequestAborted;
        UserMapping mapping;
        try
        {
            mapping = mapIdentifiers
                ? await mapper.MapIdentifiersAsync(UserMapper.IdentifierClaims.SelectMany(token.FindAll).Select(c => c.Value), ct).ConfigureAwait(false)
                : await mapper.MapUserRefAsync(token.FindFirst(Caller.UserRefClaim)?.Value ?? string.Empty, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The token is fine; the catalog could not be read. JwtBearer passes this to AuthenticationFailed, which must
            // not turn it into a 401 (or an issuer outage): it is rethrown and answered like any storage failure.
            context.HttpContext.Items[MappingFailureKey] = e;
            throw;
        }

        if (mapping.User is null)
        {
            RequestCredentialHandler.LogUnmapped(logger);
            var reason = mapping.Failure ?? "No catalog User matches this identity.";
            Unauthenticated.Fail(context.HttpContext, reason);
            context.Fail(reason);
            return;
        }

        var request = context.HttpContext.Request;
        var channel = request.Headers.ContainsKey("Sec-Fetch-Mode") || request.Headers.ContainsKey("Origin") ? Channels.Browser : Channels.Api;
        context.Principal = UserMapper.ToPrincipal(mapping.User, channel, IdpAuthentication.SchemeName, mapIdentifiers ? grants.From(token) : null);
        context.Success();
    }

    private async Task AuthenticationFailedAsync(AuthenticationFailedContext context)
    {
        var e = context.Exception;
        if (context.HttpContext.Items.TryGetValue(MappingFailureKey, out var mappingFailure) && ReferenceEquals(mappingFailure, e))
        {
            return;
        }

        var unavailable = IsIssuerUnavailable(e) ?? await ConfigurationMissingAsync(context, First(e)).ConfigureAwait(false);
        if (unavailable is { } cause)
        {
            LogIssuerUnavailable(logger, context.Scheme.Name, cause.GetType().Name);
            Unauthenticated.Fail(context.HttpContext, UnavailableReason, issuerUnavailable: true);
            context.Fail(UnavailableReason);
            return;
        }

        LogRejected(logger, context.Scheme.Name, First(e).GetType().Name);
        var reason = "The bearer token is not valid: " + Describe(First(e));
        Unauthenticated.Fail(context.HttpContext, reason);
        context.Fail(reason);
    }

    /// <summary>
    /// IdentityModel validates on when the issuer's configuration cannot be fetched (the keys or issuer may be set
    /// directly), so an unreachable issuer shows only as "no valid issuer" or "no matching key". For those, ask the
    /// scheme's configuration manager: it answers at once from its cache when it has the documents, and fails
    /// (IDX20803) when it still has none.
    /// </summary>
    private static async Task<Exception?> ConfigurationMissingAsync(AuthenticationFailedContext context, Exception failure)
    {
        if (context.Options.ConfigurationManager is not { } manager ||
            failure is not (SecurityTokenInvalidIssuerException or SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException))
        {
            return null;
        }

        try
        {
            await manager.GetConfigurationAsync(context.HttpContext.RequestAborted).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (IsIssuerUnavailable(e) is not null)
        {
            return e;
        }
    }

    /// <summary>
    /// The network failure (or the configuration manager's IDX20803: no configuration) under <paramref name="e"/> when
    /// the token could not be checked because the issuer's documents could not be had; null otherwise.
    /// </summary>
    public static Exception? IsIssuerUnavailable(Exception? e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is HttpRequestException or IOException or TaskCanceledException or TimeoutException ||
                x is InvalidOperationException && x.Message.StartsWith("IDX20803", StringComparison.Ordinal))
            {
                return x;
            }

            if (x is AggregateException a && a.InnerExceptions.Select(IsIssuerUnavailable).FirstOrDefault(i => i is not null) is { } inner)
            {
                return inner;
            }
        }

        return null;
    }

    private static Exception First(Exception e) => e is AggregateException { InnerExceptions.Count: > 0 } a ? a.InnerExceptions[0] : e;

    // Fixed phrases: exception messages of token libraries can quote token content, so none is passed on.
    private static string Describe(Exception e) => e switch
    {
        SecurityTokenExpiredException => "it has expired.",
        SecurityTokenNotYetValidException => "it is not valid yet.",
        SecurityTokenInvalidAudienceException => "it was issued for another audience.",
        SecurityTokenInvalidIssuerException => "it was issued by another issuer.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "its signature does not verify.",
        SecurityTokenInvalidAlgorithmException => "it is signed with an algorithm that is not accepted.",
        SecurityTokenNoExpirationException => "it has no expiry.",
        SecurityTokenMalformedException or ArgumentException => "it is not a JWT.",
        _ => "it could not be validated.",
    };

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Bearer token rejected by {Scheme} ({Reason})")]
    private static partial void LogRejected(ILogger logger, string scheme, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "The issuer of {Scheme} cannot be reached for its discovery document or keys ({Reason}); its tokens are answered 503")]
    private static partial void LogIssuerUnavailable(ILogger logger, string scheme, string reason);
}
