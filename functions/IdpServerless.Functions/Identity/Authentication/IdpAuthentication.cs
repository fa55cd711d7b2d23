using IdpServerless.Hosting.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IdpServerless.Functions.Identity.Authentication;

/// <summary>
/// The app's authentication: one policy scheme (<see cref="SchemeName"/>) that reads the bearer token's <c>iss</c> and
/// forwards to that issuer's JwtBearer scheme (the local dev issuer's, each generic OIDC issuer's, Entra ID's through
/// Microsoft.Identity.Web), or to <see cref="RequestCredentialHandler"/> for everything else (Static Web Apps' principal,
/// no credentials, a token refused before validation). Each bearer scheme fetches its issuer's discovery document and
/// JWKS through its own ConfigurationManager and maps the validated identity to a catalog User
/// (<see cref="BearerTokenEvents"/>), so the principal the app reads (<see cref="Caller.FromPrincipal"/>) is the same
/// whichever way the caller signed in.
/// </summary>
public static class IdpAuthentication
{
    public const string SchemeName = "Idp";
    public const string DevScheme = "Idp.Dev";
    public const string RequestScheme = "Idp.Request";

    /// <summary>Longest bearer token read (16 KiB); longer ones are refused before any parsing.</summary>
    public const int MaxTokenLength = 16 * 1024;

    /// <summary>Least time between two refreshes of an issuer's keys forced by a token naming a key we do not know.</summary>
    public static readonly TimeSpan KeyRefreshInterval = TimeSpan.FromSeconds(30);

    private const string UpdateConfigAsBlocking = "Switch.Microsoft.IdentityModel.UpdateConfigAsBlocking";

    public static IServiceCollection AddIdpAuthentication(this IServiceCollection services, IdentityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // IdentityModel refreshes an issuer's keys in the background by default, so the first token signed with a key
        // we do not know yet would be refused although the refresh it triggers is about to find the key. Blocking makes
        // that request wait for the refresh (at most every KeyRefreshInterval, bounded by the backchannel timeout).
        // A documented app-context switch, which IdentityModel reads and caches on its first use in the process: the
        // project sets it in runtimeconfig.json (RuntimeHostConfigurationOption), so it holds from process start whatever
        // touches IdentityModel first; setting it here covers a host built without that file. An explicit false wins.
        if (!AppContext.TryGetSwitch(UpdateConfigAsBlocking, out _))
        {
            AppContext.SetSwitch(UpdateConfigAsBlocking, true);
        }

        services.AddSingleton<BearerTokenEvents>();
        services.AddSingleton<TokenClaimGrants>();

        // iss (without a trailing slash) -> the scheme that validates it.
        var routes = new Dictionary<string, string>(StringComparer.Ordinal);
        var builder = services.AddAuthentication(SchemeName)
            .AddPolicyScheme(SchemeName, "Bearer token or Static Web Apps principal", o =>
            {
                o.ForwardDefaultSelector = context => Select(context, routes, options);
                o.ForwardChallenge = RequestScheme;
                o.ForwardForbid = RequestScheme;
            })
            .AddScheme<AuthenticationSchemeOptions, RequestCredentialHandler>(RequestScheme, null);

        if (options.DevIssuerEnabled)
        {
            routes[DevIssuer.Issuer] = DevScheme;
            builder.AddJwtBearer(DevScheme, o => o.MapInboundClaims = false);
            services.AddOptions<JwtBearerOptions>(DevScheme).Configure<DevIssuer>((o, dev) =>
            {
                o.TokenValidationParameters = dev.ValidationParameters();
                BearerTokenEvents.Attach(o.Events, mapIdentifiers: false);
            });
        }

        foreach (var issuer in options.OidcIssuers)
        {
            routes[issuer.Issuer] = issuer.Scheme;
            builder.AddJwtBearer(issuer.Scheme, o =>
            {
                o.Authority = issuer.Authority.AbsoluteUri;
                o.TokenValidationParameters.ValidAudiences = issuer.Audiences;
                Common(o, issuer.Authority);
            });
        }

        if (options.Entra is { } entra)
        {
            foreach (var iss in entra.Issuers)
            {
                routes[iss] = EntraSettings.Scheme;
            }

            builder.AddMicrosoftIdentityWebApi(
                o =>
                {
                    // The tenant's own issuers, so Identity.Web's issuer validator matches them without fetching the
                    // metadata a second time through a client of its own.
                    o.TokenValidationParameters.ValidIssuers = entra.TokenIssuers;
                    if (entra.Audiences.Count > 0)
                    {
                        o.TokenValidationParameters.ValidAudiences = entra.Audiences;
                    }
                },
                m =>
                {
                    m.Instance = entra.Instance.AbsoluteUri;
                    m.TenantId = entra.TenantId;
                    m.ClientId = entra.ClientId;
                },
                EntraSettings.Scheme);

            // After Microsoft.Identity.Web's own configuration (it sets the authority and chains its events), so its
            // checks (the v1/v2 issuer, a scp or roles claim) run first and ours then map the identity.
            services.Configure<JwtBearerOptions>(EntraSettings.Scheme, o => Common(o, entra.Instance));
        }

        return services;
    }

    private static void Common(JwtBearerOptions o, Uri authority)
    {
        o.RequireHttpsMetadata = authority.Scheme == Uri.UriSchemeHttps;
        o.MapInboundClaims = false;
        o.BackchannelTimeout = TimeSpan.FromSeconds(15);
        o.RefreshOnIssuerKeyNotFound = true;
        o.RefreshInterval = KeyRefreshInterval;
        o.AutomaticRefreshInterval = TimeSpan.FromHours(12);
        o.TokenValidationParameters.ClockSkew = TimeSpan.FromMinutes(2);
        o.TokenValidationParameters.RequireExpirationTime = true;
        o.TokenValidationParameters.RequireSignedTokens = true;
        BearerTokenEvents.Attach(o.Events, mapIdentifiers: true);
    }

    /// <summary>The scheme for this request, from the bearer token's <c>iss</c>; refusals before validation are recorded here.</summary>
    private static string Select(HttpContext context, IReadOnlyDictionary<string, string> routes, IdentityOptions options)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            return RequestScheme;
        }

        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Refuse(context, "Only bearer tokens are accepted.");
        }

        var token = authorization["Bearer ".Length..].Trim();
        if (token.Length is 0 or > MaxTokenLength)
        {
            return Refuse(context, "The bearer token is empty or too long.");
        }

        string issuer;
        try
        {
            issuer = new JsonWebToken(token).Issuer;
        }
        catch (ArgumentException)
        {
            return Refuse(context, "The bearer token is not a JWT.");
        }

        if (routes.TryGetValue(issuer.TrimEnd('/'), out var scheme))
        {
            return scheme;
        }

        if (issuer == DevIssuer.Issuer)
        {
            return Refuse(context, "Tokens of the local dev issuer are not accepted here.");
        }

        return Refuse(context, options.AnyIssuer
            ? "The bearer token is not valid: it was issued by another issuer."
            : "No OIDC issuer is configured (IDP_OIDC_AUTHORITY or IDP_ENTRA_TENANT_ID), so this token cannot be checked.");
    }

    private static string Refuse(HttpContext context, string reason)
    {
        Unauthenticated.Fail(context, reason);
        return RequestScheme;
    }
}
