using System.Text.Encodings.Web;
using IdpServerless.Hosting.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Identity.Authentication;

/// <summary>
/// The scheme for requests no bearer scheme takes: Static Web Apps' client principal when trusted, no credentials
/// (anonymous: no result), or a bearer token <see cref="IdpAuthentication"/>'s selector already refused (not a JWT, too
/// long, an issuer we do not accept). It also answers every challenge with our 401 contract.
/// </summary>
public sealed partial class RequestCredentialHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IdentityOptions options,
    UserMapper mapper)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Context.Features.Get<AuthenticationFailure>() is { } refused)
        {
            return AuthenticateResult.Fail(refused.Reason);
        }

        if (options.TrustSwaPrincipal && Request.Headers[SwaClientPrincipal.Header].ToString() is { Length: > 0 } swa)
        {
            var identifiers = SwaClientPrincipal.ReadIdentifiers(swa);
            if (identifiers is null)
            {
                return Unauthenticated.Fail(Context, "The x-ms-client-principal header is malformed or not signed in.");
            }

            var mapping = await mapper.MapIdentifiersAsync(identifiers, Context.RequestAborted).ConfigureAwait(false);
            if (mapping.User is null)
            {
                LogUnmapped(Logger);
                return Unauthenticated.Fail(Context, mapping.Failure ?? "No catalog User matches this identity.");
            }

            return AuthenticateResult.Success(new AuthenticationTicket(UserMapper.ToPrincipal(mapping.User, Channels.Browser, IdpAuthentication.SchemeName), IdpAuthentication.SchemeName));
        }

        return AuthenticateResult.NoResult();
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Unauthenticated.WriteAsync(Context, Context.Features.Get<AuthenticationFailure>());

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "A valid identity matches no catalog User")]
    internal static partial void LogUnmapped(ILogger logger);
}
