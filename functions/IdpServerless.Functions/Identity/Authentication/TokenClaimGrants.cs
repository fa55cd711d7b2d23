using System.Security.Claims;

namespace IdpServerless.Functions.Identity.Authentication;

/// <summary>The portal roles and catalog Groups a token's mapped claims grant (<c>IDP_ROLE_CLAIM_MAP</c>).</summary>
public sealed record TokenGrants(IReadOnlyList<string> Roles, IReadOnlyList<string> Groups);

/// <summary>
/// Reads a validated token's <c>roles</c> (Entra app roles) and <c>groups</c> (Entra group object ids) claims and keeps the
/// values <c>IDP_ROLE_CLAIM_MAP</c> lists; every other value is ignored. When Entra leaves the groups out because there are
/// too many (the "groups overage": <c>_claim_names</c> names <c>groups</c>, or <c>hasgroups</c> is true), Microsoft Graph is
/// not called: the token's groups then grant nothing, which is logged once per process.
/// </summary>
public sealed partial class TokenClaimGrants(IdentityOptions options, ILogger<TokenClaimGrants> logger)
{
    /// <summary>Claim types read: the raw JWT names and the forms of inbound claim mapping.</summary>
    public static readonly string[] GrantClaims = ["roles", "groups", "role", ClaimTypes.Role, "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"];

    private int _overageLogged;

    /// <summary>What <paramref name="token"/> grants; null when no mapping is configured.</summary>
    public TokenGrants? From(ClaimsPrincipal token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (options.ClaimGrants.Count == 0)
        {
            return null;
        }

        if (HasGroupsOverage(token) && Interlocked.Exchange(ref _overageLogged, 1) == 0)
        {
            LogOverage(logger);
        }

        var values = GrantClaims.SelectMany(token.FindAll).Select(c => c.Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var matched = options.ClaimGrants.Where(g => values.Contains(g.Value)).ToArray();
        return new TokenGrants(
            matched.Select(g => g.Role).OfType<string>().Distinct(StringComparer.Ordinal).ToArray(),
            matched.Select(g => g.GroupRef).OfType<string>().Distinct(StringComparer.Ordinal).ToArray());
    }

    private static bool HasGroupsOverage(ClaimsPrincipal token) =>
        string.Equals(token.FindFirst("hasgroups")?.Value, "true", StringComparison.OrdinalIgnoreCase) ||
        token.FindAll("_claim_names").Any(c => c.Value.Contains("\"groups\"", StringComparison.Ordinal));

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "A token's groups claim was left out by the identity provider (Entra ID groups overage: too many groups). Microsoft Graph is not called, so its groups grant nothing through IDP_ROLE_CLAIM_MAP; map app roles instead, or limit the app registration's group claims to the groups assigned to the application. Logged once per process.")]
    private static partial void LogOverage(ILogger logger);
}
