using System.Collections.Frozen;
using System.Reflection;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Identity.Rbac;

/// <summary>Where a role's permission applies.</summary>
public enum Reach
{
    /// <summary>On every entity (and on calls that name none).</summary>
    Anywhere,

    /// <summary>On entities the caller owns (directly or through their groups), or on the binding's scope.</summary>
    Owned,

    /// <summary>Like <see cref="Owned"/>, and only in development environments (<see cref="Environments.IsDevelopment"/>).</summary>
    OwnedDevelopmentOnly,
}

/// <summary>A role of seed 000 and the permissions it grants.</summary>
public sealed record RoleDefinition(string Name, string Description, IReadOnlyDictionary<string, Reach> Permissions, bool Everything = false)
{
    public bool Grants(string permission, out Reach reach)
    {
        if (Everything)
        {
            reach = Reach.Anywhere;
            return true;
        }

        return Permissions.TryGetValue(permission, out reach);
    }
}

/// <summary>
/// The four roles of seed 000 as permission sets. application-owner and application-developer act on what the caller
/// owns (seed 000's "own-app"); viewer reads the catalog and docs everywhere; platform-admin may do everything.
/// </summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Developer = "application-developer";
    public const string Owner = "application-owner";
    public const string Admin = "platform-admin";

    private static readonly Dictionary<string, Reach> ViewerPermissions = new()
    {
        [Permissions.CatalogRead] = Reach.Anywhere,
        [Permissions.DocsRead] = Reach.Anywhere,
        [Permissions.TemplateRead] = Reach.Anywhere,
    };

    // Golden paths are self-service: anyone on a team may scaffold, see clusters and their team's notifications.
    private static readonly Dictionary<string, Reach> TeamPermissions = new()
    {
        [Permissions.TemplateExecute] = Reach.Anywhere,
        [Permissions.ClusterRead] = Reach.Anywhere,
        [Permissions.NotificationRead] = Reach.Anywhere,
        [Permissions.DeploymentRead] = Reach.Owned,
        [Permissions.LogsRead] = Reach.Owned,
        [Permissions.MetricsRead] = Reach.Owned,
        [Permissions.OrchestrationRead] = Reach.Owned,
    };

    public static RoleDefinition ViewerRole { get; } = new(Viewer, "Reads the catalog, docs and templates.", ViewerPermissions.ToFrozenDictionary());

    public static RoleDefinition DeveloperRole { get; } = new(
        Developer,
        "Views owned apps, their deployments, logs and metrics; deploys owned apps to development environments.",
        TeamPermissions.Append(new(Permissions.DeploymentCreate, Reach.OwnedDevelopmentOnly)).ToFrozenDictionary());

    public static RoleDefinition OwnerRole { get; } = new(
        Owner,
        "Deploys, rolls back, approves, controls releases (traffic) and views metrics of owned apps.",
        TeamPermissions.Concat(new Dictionary<string, Reach>
        {
            [Permissions.DeploymentCreate] = Reach.Owned,
            [Permissions.DeploymentRollback] = Reach.Owned,
            [Permissions.DeploymentApprove] = Reach.Owned,
            [Permissions.ReleaseControl] = Reach.Owned,
            [Permissions.OrchestrationControl] = Reach.Owned,
            [Permissions.EnvironmentWrite] = Reach.Owned,
        }).ToFrozenDictionary());

    public static RoleDefinition AdminRole { get; } = new(Admin, "Everything, including role bindings, audit and platform configuration.", FrozenDictionary<string, Reach>.Empty, Everything: true);

    public static IReadOnlyList<RoleDefinition> All { get; } = [ViewerRole, DeveloperRole, OwnerRole, AdminRole];

    /// <summary>Every permission constant the contract declares.</summary>
    public static IReadOnlyList<string> KnownPermissions { get; } = typeof(Permissions)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Order(StringComparer.Ordinal)
        .ToArray();

    public static RoleDefinition? Find(string name) =>
        All.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>How environment names map to the developer's "deploy:dev-environment".</summary>
public static class Environments
{
    /// <summary>True for <c>dev</c>, <c>development</c> and names starting with <c>dev-</c> (e.g. <c>dev-eu</c>).</summary>
    public static bool IsDevelopment(string environment)
    {
        var e = environment.Trim();
        return e.Equals("dev", StringComparison.OrdinalIgnoreCase) ||
               e.Equals("development", StringComparison.OrdinalIgnoreCase) ||
               e.StartsWith("dev-", StringComparison.OrdinalIgnoreCase);
    }
}
