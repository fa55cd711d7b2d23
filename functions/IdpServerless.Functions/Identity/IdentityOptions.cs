using System.Globalization;
using IdpServerless.Hosting.Configuration;
using IdpServerless.Hosting.Features;

namespace IdpServerless.Functions.Identity;

/// <summary>Identity and hardening settings (flat <c>IDP_*</c> app settings, as the Functions host passes them).</summary>
public sealed record IdentityOptions
{
    /// <summary>OIDC issuer whose discovery document and keys validate bearer tokens (<c>IDP_OIDC_AUTHORITY</c>); null: no OIDC.</summary>
    public Uri? Authority { get; init; }

    /// <summary>Accepted <c>aud</c> values (<c>IDP_OIDC_AUDIENCE</c>, comma-separated).</summary>
    public IReadOnlyList<string> Audiences { get; init; } = [];

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
    public string DevAudience => Audiences.Count > 0 ? Audiences[0] : "idpserverless";

    /// <summary>Requests per second per signed-in identity (<c>IDP_RATE_LIMIT_PER_IDENTITY</c>, 0 = off); bursts of ten seconds' worth.</summary>
    public int RateLimitPerIdentity { get; init; } = 50;

    /// <summary>Requests per second per client address (<c>IDP_RATE_LIMIT_PER_ADDRESS</c>, 0 = off); bursts of ten seconds' worth.</summary>
    public int RateLimitPerAddress { get; init; } = 100;

    /// <summary>True when the Functions host fronts us: the client address is in <c>X-Forwarded-For</c>.</summary>
    public bool BehindFunctionsHost { get; init; }

    /// <summary>Start-up check: bearer sign-in needs an OIDC issuer and its audience outside local mode.</summary>
    public IEnumerable<FeatureOff> FeaturesOff()
    {
        const string Feature = "Bearer sign-in";
        if (Authority is null && !DevIssuerEnabled)
        {
            yield return new FeatureOff(Feature,
                "no OIDC issuer is configured and the local dev issuer runs only with IDP_MODE=local, so every bearer token is refused (401)" +
                (TrustSwaPrincipal ? "; Static Web Apps' principal header is still accepted." : "."),
                ["IDP_OIDC_AUTHORITY", "IDP_OIDC_AUDIENCE"]);
        }
        else if (Authority is not null && Audiences.Count == 0)
        {
            yield return new FeatureOff(Feature, "IDP_OIDC_AUTHORITY is set without IDP_OIDC_AUDIENCE, so no token's audience is accepted (401).", ["IDP_OIDC_AUDIENCE"]);
        }
    }

    public static IdentityOptions From(IConfiguration config)
    {
        Uri? authority = null;
        if (config["IDP_OIDC_AUTHORITY"] is { Length: > 0 } a)
        {
            if (!Uri.TryCreate(a.TrimEnd('/'), UriKind.Absolute, out authority) || authority.Scheme is not ("https" or "http"))
            {
                throw new InvalidOperationException($"IDP_OIDC_AUTHORITY='{a}' is not an absolute http(s) URL.");
            }
        }

        var local = HostingModeDetector.IsLocal(config);
        var inAzure = !string.IsNullOrEmpty(config["WEBSITE_INSTANCE_ID"]);
        return new IdentityOptions
        {
            Authority = authority,
            Audiences = Split(config["IDP_OIDC_AUDIENCE"]),
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
