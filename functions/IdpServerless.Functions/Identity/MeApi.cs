using IdpServerless.Functions.Identity.Rbac;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Identity;

public sealed record MeResponse(string UserRef, string DisplayName, string? Email, string Channel, IReadOnlyList<string> Groups, IReadOnlyList<string> Roles, IReadOnlyList<string> Permissions);

/// <summary>
/// <c>GET /api/me</c>: who the caller is and what they may do, for the browser app to shape its UI (the server's checks
/// stay the authority). Permissions that hold only on what the caller owns are listed plainly (the UI checks ownership);
/// permissions of a binding scoped to one entity are listed as <c>permission:entity-ref</c>.
/// </summary>
public static class MeApi
{
    public static IEndpointRouteBuilder MapMeApi(this IEndpointRouteBuilder app)
    {
        // catalog.read: every signed-in catalog User holds it (the viewer baseline), so this means "signed in".
        app.MapGet("/api/me", GetAsync).WithTags("Identity").WithName("GetMe").RequirePermission(Permissions.CatalogRead);
        return app;
    }

    private static async Task<MeResponse> GetAsync(HttpContext http, RbacAccessPolicy policy, CancellationToken ct)
    {
        var caller = http.GetCaller();
        var grants = await policy.GetGrantsAsync(caller, ct);
        var permissions = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var g in grants)
        {
            var names = g.Role.Everything ? Roles.KnownPermissions.Append("*") : g.Role.Permissions.Keys;
            foreach (var p in names)
            {
                permissions.Add(g.Scope is null ? p : $"{p}:{g.Scope}");
            }
        }

        return new MeResponse(
            caller.UserRef,
            caller.DisplayName ?? caller.UserRef,
            caller.Email,
            caller.Channel,
            caller.Groups,
            grants.Select(g => g.Role.Name).Distinct().ToArray(),
            permissions.ToArray());
    }
}
