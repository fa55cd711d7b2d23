using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace IdpServerless.Hosting.Security;

/// <summary>Where a call came from; recorded in the audit log.</summary>
public static class Channels
{
    public const string Browser = "browser";
    public const string Api = "api";
    public const string Webhook = "webhook";
    public const string Chat = "chat";
    public const string System = "system";
}

/// <summary>
/// The identity a function acts for: a catalog User ref (<c>user:default/jane</c>) and the group refs it belongs to,
/// whichever entry point (HTTP, queue, orchestration control, chat) it came through.
/// </summary>
public sealed record Caller(
    string UserRef,
    string? DisplayName,
    string? Email,
    IReadOnlyList<string> Groups,
    string Channel,
    bool IsAuthenticated)
{
    /// <summary>Claim type carrying the catalog user ref.</summary>
    public const string UserRefClaim = "idp_user";

    /// <summary>Claim type carrying one group ref (repeated).</summary>
    public const string GroupClaim = "idp_group";

    /// <summary>Claim type carrying the channel.</summary>
    public const string ChannelClaim = "idp_channel";

    /// <summary>Claim type carrying a portal role the identity provider granted (a mapped token claim; repeated).</summary>
    public const string RoleClaim = "idp_role";

    /// <summary>Portal roles granted by the identity provider's token (mapped <c>roles</c>/<c>groups</c> claims), beside bindings.</summary>
    public IReadOnlyList<string> TokenRoles { get; init; } = [];

    public static Caller Anonymous { get; } = new("user:default/anonymous", null, null, [], Channels.Api, false);

    /// <summary>The app itself (timers, orchestrations continuing work they were authorized to start).</summary>
    public static Caller SystemFor(string component) =>
        new($"system:{component}", component, null, [], Channels.System, true);

    /// <summary>Reads the caller from an authenticated principal (claims set by the identity feature).</summary>
    public static Caller FromPrincipal(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true || principal.FindFirstValue(UserRefClaim) is not { } user)
        {
            return Anonymous;
        }

        return new Caller(
            user,
            principal.FindFirstValue(ClaimTypes.Name) ?? principal.FindFirstValue("name"),
            principal.FindFirstValue(ClaimTypes.Email) ?? principal.FindFirstValue("email"),
            principal.FindAll(GroupClaim).Select(c => c.Value).ToArray(),
            principal.FindFirstValue(ChannelClaim) ?? Channels.Api,
            true)
        {
            TokenRoles = principal.FindAll(RoleClaim).Select(c => c.Value).ToArray(),
        };
    }
}

/// <summary>Convenience accessors.</summary>
public static class CallerHttpExtensions
{
    /// <summary>The caller of this request.</summary>
    public static Caller GetCaller(this HttpContext context) => Caller.FromPrincipal(context.User);
}
