using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Identity.Rbac;

/// <summary>A role the caller holds: everywhere its permissions reach, or only on <see cref="Scope"/>.</summary>
public sealed record RoleGrant(RoleDefinition Role, string? Scope, string Source);

/// <summary>
/// The one authorization decision point (seed 000's roles, bindings from Tables, ownership from the catalog).
/// Defaults: every signed-in catalog User is a viewer; a User in at least one Group is an application-developer on
/// what they or their groups own; <c>IDP_BOOTSTRAP_ADMINS</c> are platform-admins; a token's <c>roles</c>/<c>groups</c> claim
/// values listed in <c>IDP_ROLE_CLAIM_MAP</c> grant their role everywhere (<see cref="Caller.TokenRoles"/>) or add their
/// catalog Group to the caller's groups (its bindings and ownership then apply). A check that names no entity asks
/// "may the caller do this anywhere" (the endpoint's coarse gate); the handler then checks the entity it acts on.
/// </summary>
public sealed class RbacAccessPolicy(RoleBindingStore bindings, IdentityOptions options, DirectoryAccessor directory) : IAccessPolicy
{
    public async ValueTask<AccessDecision> DecideAsync(Caller caller, string permission, AccessResource? resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentException.ThrowIfNullOrEmpty(permission);
        if (!caller.IsAuthenticated)
        {
            return AccessDecision.Deny(permission, "Sign in first.");
        }

        if (caller.Channel == Channels.System && caller.UserRef.StartsWith("system:", StringComparison.Ordinal))
        {
            return AccessDecision.Allow(permission);
        }

        var grants = await GetGrantsAsync(caller, cancellationToken).ConfigureAwait(false);
        var entity = resource?.EntityRef is { } e ? EntityRefs.TryNormalize(e, "component") ?? e.ToLowerInvariant() : null;
        var environment = resource?.Environment;
        IReadOnlyList<string>? owners = null;
        var devOnlyRefusal = false;
        foreach (var grant in grants)
        {
            if (!grant.Role.Grants(permission, out var reach))
            {
                continue;
            }

            if (reach == Reach.OwnedDevelopmentOnly && environment is not null && !Environments.IsDevelopment(environment))
            {
                devOnlyRefusal = true;
                continue;
            }

            if (entity is null)
            {
                return AccessDecision.Allow(permission);
            }

            if (grant.Scope is { } scope)
            {
                if (scope == entity)
                {
                    return AccessDecision.Allow(permission);
                }

                if (EntityRefs.IsKind(scope, "group"))
                {
                    owners ??= await OwnersAsync(entity, cancellationToken).ConfigureAwait(false);
                    if (owners.Contains(scope))
                    {
                        return AccessDecision.Allow(permission);
                    }
                }

                continue;
            }

            if (reach == Reach.Anywhere)
            {
                return AccessDecision.Allow(permission);
            }

            owners ??= await OwnersAsync(entity, cancellationToken).ConfigureAwait(false);
            if (owners.Contains(caller.UserRef.ToLowerInvariant()) || caller.Groups.Any(g => owners.Contains(g.ToLowerInvariant())))
            {
                return AccessDecision.Allow(permission);
            }
        }

        var roles = string.Join(", ", grants.Select(g => g.Scope is null ? g.Role.Name : $"{g.Role.Name} on {g.Scope}").Distinct());
        var on = entity is null ? string.Empty : $" on {entity}" + (environment is null ? string.Empty : $" in environment '{environment}'");
        var why = devOnlyRefusal
            ? $"Your role allows {permission} only in development environments (dev, development, dev-*)."
            : entity is not null && grants.Any(g => g.Role.Grants(permission, out var r) && r != Reach.Anywhere)
                ? $"You hold {permission} only on what you or your groups own; {entity} is owned by {Describe(owners)}."
                : $"None of your roles ({roles}) grants it.";
        return AccessDecision.Deny(permission, $"Requires {permission}{on}. {why}");
    }

    /// <summary>Every role the caller holds, with where it applies (for the decision and for <c>/api/me</c>).</summary>
    public async ValueTask<IReadOnlyList<RoleGrant>> GetGrantsAsync(Caller caller, CancellationToken ct)
    {
        var grants = new List<RoleGrant>();
        if (!caller.IsAuthenticated)
        {
            return grants;
        }

        var user = caller.UserRef.ToLowerInvariant();
        var groups = caller.Groups.Select(g => g.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        if (options.BootstrapAdmins.Contains(user) || (caller.Email is { } mail && options.BootstrapAdmins.Contains(mail.ToLowerInvariant())))
        {
            grants.Add(new RoleGrant(Roles.AdminRole, null, "IDP_BOOTSTRAP_ADMINS"));
        }

        foreach (var b in await bindings.ListAsync(ct).ConfigureAwait(false))
        {
            if ((b.Subject == user || groups.Contains(b.Subject)) && Roles.Find(b.Role) is { } role)
            {
                grants.Add(new RoleGrant(role, b.Scope, "binding " + b.Id));
            }
        }

        foreach (var name in caller.TokenRoles)
        {
            if (Roles.Find(name) is { } role)
            {
                grants.Add(new RoleGrant(role, null, "token claim (IDP_ROLE_CLAIM_MAP)"));
            }
        }

        grants.Add(new RoleGrant(Roles.ViewerRole, null, "every signed-in user"));
        if (groups.Count > 0)
        {
            grants.Add(new RoleGrant(Roles.DeveloperRole, null, "member of a group: on what the group owns"));
        }

        // Widest grants first, so a decision stops early and a denial lists roles in a stable order.
        return grants.OrderBy(g => g.Role.Everything ? 0 : 1).ThenBy(g => g.Scope is null ? 0 : 1).ToArray();
    }

    private async ValueTask<IReadOnlyList<string>> OwnersAsync(string entity, CancellationToken ct)
    {
        var owners = await directory.Directory.GetOwnersAsync(entity, ct).ConfigureAwait(false);
        return owners.Select(o => o.ToLowerInvariant()).ToArray();
    }

    private static string Describe(IReadOnlyList<string>? owners) =>
        owners is null || owners.Count == 0 ? "nobody the catalog knows" : string.Join(", ", owners);
}
