using System.Globalization;
using System.Text.RegularExpressions;
using IdpServerless.Functions.Identity.Rbac;
using IdpServerless.Hosting.Configuration;
using IdpServerless.Hosting.Features;

namespace IdpServerless.Functions.Identity;

/// <summary>
/// A generic OIDC issuer whose bearer tokens are accepted: <c>IDP_OIDC_AUTHORITY</c> / <c>IDP_OIDC_AUDIENCE</c>, or
/// <c>IDP_OIDC_AUTHORITY_n</c> / <c>IDP_OIDC_AUDIENCE_n</c> for the n-th one. Tokens are routed to it by their <c>iss</c>,
/// which must equal the authority (a trailing slash aside), as it does for Entra ID v2.0, Okta, Auth0, Keycloak, Google.
/// </summary>
public sealed record OidcIssuerSettings(string Scheme, Uri Authority, IReadOnlyList<string> Audiences, string AuthoritySetting, string AudienceSetting)
{
    /// <summary>The <c>iss</c> value this issuer's tokens carry.</summary>
    public string Issuer => Authority.AbsoluteUri.TrimEnd('/');
}

/// <summary>
/// Entra ID the Microsoft.Identity.Web way: <c>IDP_ENTRA_INSTANCE</c> (default <c>https://login.microsoftonline.com/</c>),
/// <c>IDP_ENTRA_TENANT_ID</c>, <c>IDP_ENTRA_CLIENT_ID</c> and optionally <c>IDP_ENTRA_AUDIENCE</c> (default: the client id
/// and <c>api://{client id}</c>). One tenant: its v2.0 issuer <c>{instance}{tenant}/v2.0</c> (and, on the public cloud, the
/// v1.0 issuer <c>https://sts.windows.net/{tenant}/</c>).
/// </summary>
public sealed record EntraSettings(Uri Instance, string TenantId, string ClientId, IReadOnlyList<string> Audiences)
{
    public const string Scheme = "Idp.Entra";

    public Uri Authority => new(Instance, TenantId + "/v2.0");

    /// <summary>The <c>iss</c> values this tenant's access tokens carry, exactly (v2.0, and v1.0 on the public cloud).</summary>
    public IReadOnlyList<string> TokenIssuers => Instance.Host.Equals("login.microsoftonline.com", StringComparison.OrdinalIgnoreCase)
        ? [Authority.AbsoluteUri.TrimEnd('/'), $"https://sts.windows.net/{TenantId}/"]
        : [Authority.AbsoluteUri.TrimEnd('/')];

    /// <summary>The same without a trailing slash, as tokens are routed.</summary>
    public IReadOnlyList<string> Issuers => TokenIssuers.Select(i => i.TrimEnd('/')).ToArray();
}

/// <summary>
/// One entry of <c>IDP_ROLE_CLAIM_MAP</c>: a value of the token's <c>roles</c> (Entra app roles) or <c>groups</c> (Entra group
/// object ids) claim that grants a portal role everywhere (<see cref="Role"/>) or makes the caller a member of a catalog
/// Group (<see cref="GroupRef"/>: its role bindings and what it owns then apply).
/// </summary>
public sealed record ClaimGrant(string Value, string? Role, string? GroupRef);

/// <summary>Identity and hardening settings (flat <c>IDP_*</c> app settings, as the Functions host passes them).</summary>
public sealed partial record IdentityOptions
{
    /// <summary>Generic OIDC issuers, in setting order (<c>IDP_OIDC_AUTHORITY</c>, then <c>IDP_OIDC_AUTHORITY_2</c>, ...).</summary>
    public IReadOnlyList<OidcIssuerSettings> OidcIssuers { get; init; } = [];

    /// <summary>Entra ID through Microsoft.Identity.Web (<c>IDP_ENTRA_*</c>); null: not configured.</summary>
    public EntraSettings? Entra { get; init; }

    /// <summary>Token claim values that grant portal roles or catalog groups (<c>IDP_ROLE_CLAIM_MAP</c>).</summary>
    public IReadOnlyList<ClaimGrant> ClaimGrants { get; init; } = [];

    /// <summary>Trust Static Web Apps' <c>x-ms-client-principal</c> header (<c>IDP_TRUST_SWA_PRINCIPAL=true</c>).</summary>
    public bool TrustSwaPrincipal { get; init; }

    /// <summary>User refs (or e-mail addresses) that are platform-admins whatever the bindings say (<c>IDP_BOOTSTRAP_ADMINS</c>).</summary>
    public IReadOnlySet<string> BootstrapAdmins { get; init; } = new HashSet<string>();

    /// <summary>The local dev issuer runs: <c>IDP_MODE=local</c> and not in Azure (<c>WEBSITE_INSTANCE_ID</c> unset).</summary>
    public bool DevIssuerEnabled { get; init; }

    /// <summary>Why the dev issuer is off (for its 404 answer and the startup log).</summary>
    public string DevIssuerOffReason { get; init; } = string.Empty;

    /// <summary>Where the dev issuer keeps its signing key across restarts (<c>IDP_DATA_DIR</c>); null: a key per process.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Audience of dev-issuer tokens.</summary>
    public string DevAudience => OidcIssuers.FirstOrDefault(i => i.Audiences.Count > 0)?.Audiences[0] ?? "idpserverless";

    /// <summary>True when some identity provider's tokens can be checked (a generic OIDC issuer or Entra ID).</summary>
    public bool AnyIssuer => OidcIssuers.Count > 0 || Entra is not null;

    /// <summary>Requests per second per signed-in identity (<c>IDP_RATE_LIMIT_PER_IDENTITY</c>, 0 = off); bursts of ten seconds' worth.</summary>
    public int RateLimitPerIdentity { get; init; } = 50;

    /// <summary>Requests per second per client address (<c>IDP_RATE_LIMIT_PER_ADDRESS</c>, 0 = off); bursts of ten seconds' worth.</summary>
    public int RateLimitPerAddress { get; init; } = 100;

    /// <summary>True when the Functions host fronts us: the client address is in <c>X-Forwarded-For</c>.</summary>
    public bool BehindFunctionsHost { get; init; }

    /// <summary>Start-up check: bearer sign-in needs an OIDC issuer (or Entra ID) and its audience outside local mode.</summary>
    public IEnumerable<FeatureOff> FeaturesOff()
    {
        const string Feature = "Bearer sign-in";
        if (!AnyIssuer && !DevIssuerEnabled)
        {
            yield return new FeatureOff(Feature,
                "no OIDC issuer is configured and the local dev issuer runs only with IDP_MODE=local, so every bearer token is refused (401)" +
                (TrustSwaPrincipal ? "; Static Web Apps' principal header is still accepted." : "."),
                ["IDP_OIDC_AUTHORITY", "IDP_OIDC_AUDIENCE", "IDP_ENTRA_TENANT_ID", "IDP_ENTRA_CLIENT_ID"]);
        }

        foreach (var issuer in OidcIssuers.Where(i => i.Audiences.Count == 0))
        {
            yield return new FeatureOff(Feature + $" ({issuer.AuthoritySetting})",
                $"{issuer.AuthoritySetting} is set without {issuer.AudienceSetting}, so no token of {issuer.Issuer} is accepted (401: another audience).",
                [issuer.AudienceSetting]);
        }
    }

    public static IdentityOptions From(IConfiguration config)
    {
        var local = HostingModeDetector.IsLocal(config);
        var inAzure = !string.IsNullOrEmpty(config["WEBSITE_INSTANCE_ID"]);
        return new IdentityOptions
        {
            OidcIssuers = ReadOidcIssuers(config),
            Entra = ReadEntra(config),
            ClaimGrants = ReadClaimGrants(config["IDP_ROLE_CLAIM_MAP"]),
            TrustSwaPrincipal = string.Equals(config["IDP_TRUST_SWA_PRINCIPAL"], "true", StringComparison.OrdinalIgnoreCase),
            BootstrapAdmins = Split(config["IDP_BOOTSTRAP_ADMINS"])
                .Select(s => s.Contains('@', StringComparison.Ordinal) ? s.ToLowerInvariant() : EntityRefs.TryNormalize(s, "user")
                    ?? throw new InvalidOperationException($"IDP_BOOTSTRAP_ADMINS: '{s}' is neither a user ref nor an e-mail address."))
                .ToHashSet(StringComparer.OrdinalIgnoreCase),
            DevIssuerEnabled = local && !inAzure,
            DevIssuerOffReason = !local
                ? "The local dev issuer is off: it runs only with IDP_MODE=local."
                : "The local dev issuer is off: this app runs in Azure (WEBSITE_INSTANCE_ID is set), where IDP_MODE=local is refused.",
            DataDirectory = config["IDP_DATA_DIR"] is { Length: > 0 } d ? d : null,
            RateLimitPerIdentity = ReadRate(config, "IDP_RATE_LIMIT_PER_IDENTITY", 50),
            RateLimitPerAddress = ReadRate(config, "IDP_RATE_LIMIT_PER_ADDRESS", 100),
            BehindFunctionsHost = HostingModeDetector.Detect(config) == HostingMode.FunctionsWorker,
        };
    }

    private static List<OidcIssuerSettings> ReadOidcIssuers(IConfiguration config)
    {
        var issuers = new List<OidcIssuerSettings>();
        if (config["IDP_OIDC_AUTHORITY"] is { Length: > 0 } first)
        {
            issuers.Add(ReadIssuer(config, 1, first, "IDP_OIDC_AUTHORITY", "IDP_OIDC_AUDIENCE"));
        }

        var more = config.AsEnumerable()
            .Select(kv => (kv.Key, kv.Value, Match: IndexedAuthority().Match(kv.Key)))
            .Where(x => x.Match.Success && !string.IsNullOrWhiteSpace(x.Value))
            .Select(x => (Index: int.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture), x.Key, Value: x.Value!))
            .OrderBy(x => x.Index);
        foreach (var (index, key, value) in more)
        {
            if (index < 2)
            {
                throw new InvalidOperationException($"{key}: further issuers are numbered from 2 (IDP_OIDC_AUTHORITY is the first).");
            }

            issuers.Add(ReadIssuer(config, index, value, key, $"IDP_OIDC_AUDIENCE_{index}"));
        }

        var twice = issuers.GroupBy(i => i.Issuer, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return twice is null
            ? issuers
            : throw new InvalidOperationException($"{string.Join(" and ", twice.Select(i => i.AuthoritySetting))} name the same issuer '{twice.Key}'.");
    }

    private static OidcIssuerSettings ReadIssuer(IConfiguration config, int index, string value, string authoritySetting, string audienceSetting)
    {
        if (value.Contains(',', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{authoritySetting} holds one issuer URL; configure a second one as IDP_OIDC_AUTHORITY_2 (with IDP_OIDC_AUDIENCE_2).");
        }

        return new OidcIssuerSettings("Idp.Oidc" + index.ToString(CultureInfo.InvariantCulture), ReadIssuerUrl(authoritySetting, value.Trim().TrimEnd('/')),
            Split(config[audienceSetting]), authoritySetting, audienceSetting);
    }

    /// <summary>An issuer URL: absolute https, or plain http for a loopback issuer only (tests, local fakes).</summary>
    private static Uri ReadIssuerUrl(string setting, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            throw new InvalidOperationException($"{setting}='{value}' is not an absolute http(s) URL without query or fragment.");
        }

        return url.Scheme == Uri.UriSchemeHttps || url.IsLoopback
            ? url
            : throw new InvalidOperationException($"{setting} must use https (plain http is allowed for a loopback issuer only).");
    }

    private static EntraSettings? ReadEntra(IConfiguration config)
    {
        var tenant = config["IDP_ENTRA_TENANT_ID"]?.Trim();
        var client = config["IDP_ENTRA_CLIENT_ID"]?.Trim();
        if (string.IsNullOrEmpty(tenant) && string.IsNullOrEmpty(client))
        {
            return null;
        }

        if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(client))
        {
            throw new InvalidOperationException("Entra ID needs both IDP_ENTRA_TENANT_ID and IDP_ENTRA_CLIENT_ID (the API's application id).");
        }

        // Tokens carry the tenant's id in iss, never a domain name, and routing and issuer checks compare iss exactly.
        if (!Guid.TryParse(tenant, out var tenantId))
        {
            throw new InvalidOperationException($"IDP_ENTRA_TENANT_ID='{tenant}' must be the tenant's id (a GUID, as in the tokens' iss; not a domain name, nor common/organizations: multi-tenant sign-in is not supported).");
        }

        tenant = tenantId.ToString("D");

        var instance = config["IDP_ENTRA_INSTANCE"] is { Length: > 0 } i ? i.Trim().TrimEnd('/') + "/" : "https://login.microsoftonline.com/";
        return new EntraSettings(ReadIssuerUrl("IDP_ENTRA_INSTANCE", instance), tenant, client, Split(config["IDP_ENTRA_AUDIENCE"]));
    }

    private static List<ClaimGrant> ReadClaimGrants(string? value)
    {
        var grants = new List<ClaimGrant>();
        foreach (var entry in (value ?? string.Empty).Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            var claim = eq > 0 ? entry[..eq].Trim() : string.Empty;
            var target = eq > 0 ? entry[(eq + 1)..].Trim() : string.Empty;
            if (claim.Length == 0 || target.Length == 0)
            {
                throw new InvalidOperationException($"IDP_ROLE_CLAIM_MAP: '{entry}' is not claim-value=role-or-group (e.g. Portal.Admin=platform-admin or <group object id>=group:default/sre).");
            }

            if (Roles.Find(target) is { } role)
            {
                grants.Add(new ClaimGrant(claim, role.Name, null));
            }
            else if (EntityRefs.TryNormalize(target) is { } group && EntityRefs.IsKind(group, "group"))
            {
                grants.Add(new ClaimGrant(claim, null, group));
            }
            else
            {
                throw new InvalidOperationException($"IDP_ROLE_CLAIM_MAP: '{target}' is neither a role ({string.Join(", ", Roles.All.Select(r => r.Name))}) nor a Group ref such as group:default/sre.");
            }
        }

        return grants;
    }

    [GeneratedRegex("^IDP_OIDC_AUTHORITY_([0-9]{1,3})$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex IndexedAuthority();

    private static string[] Split(string? value) =>
        (value ?? string.Empty).Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int ReadRate(IConfiguration config, string key, int fallback)
    {
        var v = config[key];
        if (string.IsNullOrWhiteSpace(v))
        {
            return fallback;
        }

        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw new InvalidOperationException($"{key}='{v}' is not a non-negative whole number of requests per second.");
    }
}
