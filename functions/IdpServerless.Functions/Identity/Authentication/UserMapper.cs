using System.Security.Claims;
using System.Text;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Identity.Authentication;

/// <summary>Outcome of mapping a validated identity to a catalog User.</summary>
public sealed record UserMapping(DirectoryUser? User, string? Failure);

/// <summary>
/// Maps a validated identity to a catalog User: by e-mail, <c>preferred_username</c> or <c>upn</c> (matched against
/// <c>spec.profile.email</c>, then the <c>microsoft.com/email</c> annotation), or, for dev tokens, by the user ref the
/// token carries. Groups come from the catalog; a token's <c>roles</c>/<c>groups</c> claims add to them (and grant roles) only
/// through <c>IDP_ROLE_CLAIM_MAP</c> (<see cref="TokenClaimGrants"/>). A bootstrap admin is let in before the
/// catalog knows them, so a new installation can be set up.
/// </summary>
public sealed class UserMapper(DirectoryAccessor directory, IdentityOptions options)
{
    public const string EmailAnnotation = "microsoft.com/email";

    /// <summary>Claim types (raw JWT names and their WS-Fed forms) that can carry a sign-in name.</summary>
    public static readonly string[] IdentifierClaims =
    [
        "email", "preferred_username", "upn", "unique_name", ClaimTypes.Email, ClaimTypes.Upn,
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    ];

    public async ValueTask<UserMapping> MapUserRefAsync(string userRef, CancellationToken ct)
    {
        var normalized = EntityRefs.TryNormalize(userRef, "user");
        if (normalized is null || !EntityRefs.IsKind(normalized, "user"))
        {
            return new UserMapping(null, "The identity does not name a catalog User.");
        }

        if (await directory.Directory.GetUserAsync(normalized, ct).ConfigureAwait(false) is { } user)
        {
            return new UserMapping(user with { Ref = normalized }, null);
        }

        return options.BootstrapAdmins.Contains(normalized)
            ? new UserMapping(Bootstrap(normalized, null), null)
            : new UserMapping(null, $"The catalog has no User {normalized}.");
    }

    public async ValueTask<UserMapping> MapIdentifiersAsync(IEnumerable<string> identifiers, CancellationToken ct)
    {
        var candidates = identifiers.Where(i => !string.IsNullOrWhiteSpace(i)).Select(i => i.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        foreach (var id in candidates)
        {
            var user = await directory.Directory.FindUserAsync(null, id, ct).ConfigureAwait(false)
                       ?? await directory.Directory.FindUserAsync(EmailAnnotation, id, ct).ConfigureAwait(false);
            if (user is not null)
            {
                return new UserMapping(user with { Ref = EntityRefs.TryNormalize(user.Ref, "user") ?? user.Ref.ToLowerInvariant() }, null);
            }
        }

        var admin = candidates.FirstOrDefault(c => options.BootstrapAdmins.Contains(c.ToLowerInvariant()));
        if (admin is not null)
        {
            return new UserMapping(Bootstrap("user:default/" + LocalPart(admin), admin.ToLowerInvariant()), null);
        }

        return new UserMapping(null, candidates.Length == 0
            ? "The token carries no e-mail, preferred_username or upn to find a catalog User by."
            : "No catalog User has this identity's e-mail (spec.profile.email or the microsoft.com/email annotation).");
    }

    /// <summary>The principal the rest of the app reads through <see cref="Caller.FromPrincipal"/>.</summary>
    public static ClaimsPrincipal ToPrincipal(DirectoryUser user, string channel, string authenticationType, TokenGrants? granted = null)
    {
        var claims = new List<Claim>
        {
            new(Caller.UserRefClaim, user.Ref),
            new(ClaimTypes.Name, user.DisplayName ?? user.Ref),
            new(Caller.ChannelClaim, channel),
        };
        if (user.Email is { Length: > 0 } email)
        {
            claims.Add(new Claim(ClaimTypes.Email, email));
        }

        var groups = user.Groups.Select(g => EntityRefs.TryNormalize(g, "group") ?? g.ToLowerInvariant()).Concat(granted?.Groups ?? []).Distinct(StringComparer.Ordinal);
        claims.AddRange(groups.Select(g => new Claim(Caller.GroupClaim, g)));
        claims.AddRange((granted?.Roles ?? []).Select(r => new Claim(Caller.RoleClaim, r)));

        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, ClaimTypes.Name, ClaimTypes.Role));
    }

    private static DirectoryUser Bootstrap(string userRef, string? email) =>
        new(userRef, userRef[(userRef.IndexOf('/', StringComparison.Ordinal) + 1)..], email, [], new Dictionary<string, string>());

    private static string LocalPart(string identifier)
    {
        var at = identifier.IndexOf('@', StringComparison.Ordinal);
        var local = (at > 0 ? identifier[..at] : identifier).ToLowerInvariant();
        var sb = new StringBuilder(local.Length);
        foreach (var c in local)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-');
        }

        return sb.Length == 0 ? "admin" : sb.ToString();
    }
}
