using Microsoft.AspNetCore.Builder;

namespace IdpServerless.Hosting.Security;

/// <summary>The permissions functions ask for. Roles (seed 000) grant sets of these; ownership scopes some of them.</summary>
public static class Permissions
{
    public const string CatalogRead = "catalog.read";
    public const string CatalogWrite = "catalog.write";
    public const string DocsRead = "docs.read";
    public const string TemplateRead = "template.read";
    public const string TemplateExecute = "template.execute";
    public const string DeploymentRead = "deployment.read";
    public const string DeploymentCreate = "deployment.create";
    public const string DeploymentRollback = "deployment.rollback";
    public const string DeploymentApprove = "deployment.approve";
    public const string ReleaseControl = "release.control";
    public const string EnvironmentWrite = "environment.write";
    public const string MetricsRead = "metrics.read";
    public const string LogsRead = "logs.read";
    public const string ClusterRead = "cluster.read";
    public const string AuditRead = "audit.read";
    public const string OrchestrationRead = "orchestration.read";
    public const string OrchestrationControl = "orchestration.control";

    /// <summary>
    /// Starting, raising events on, terminating, suspending, resuming or purging a feature's own orchestrations
    /// (deployments, template tasks) through the generic orchestration API, which skips the feature's checks
    /// (approvers, release control). No role but platform-admin holds it.
    /// </summary>
    public const string OrchestrationAdmin = "orchestration.admin";
    public const string NotificationRead = "notification.read";
    public const string NotificationAdmin = "notification.admin";
    public const string RbacAdmin = "rbac.admin";
}

/// <summary>What a permission is asked for: an entity (for ownership) and optionally an environment.</summary>
public sealed record AccessResource(string? EntityRef, string? Environment = null);

/// <summary>The answer of the one decision point.</summary>
public sealed record AccessDecision(bool Allowed, string Permission, string? Reason)
{
    public static AccessDecision Allow(string permission) => new(true, permission, null);

    public static AccessDecision Deny(string permission, string reason) => new(false, permission, reason);
}

/// <summary>The one authorization decision point used by every HTTP, queue, orchestration-control and chat entry.</summary>
public interface IAccessPolicy
{
    ValueTask<AccessDecision> DecideAsync(Caller caller, string permission, AccessResource? resource, CancellationToken cancellationToken);
}

/// <summary>Endpoint metadata: the permission an HTTP function requires before its handler runs.</summary>
/// <param name="Permission">The permission.</param>
/// <param name="ResourceFromRoute">True when the route values <c>kind</c>, <c>namespace</c>, <c>name</c> name the entity the check is scoped to (ownership).</param>
public sealed record RequiredPermission(string Permission, bool ResourceFromRoute = false);

/// <summary>Endpoint metadata: an HTTP function anyone may call (health, sign-in, signed webhooks).</summary>
public sealed record AnonymousFunction(string Why);

/// <summary>Declaring what each HTTP function needs.</summary>
public static class EndpointSecurityExtensions
{
    /// <summary>The caller needs <paramref name="permission"/> (globally, or on the entity named by the route when <paramref name="resourceFromRoute"/>).</summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission, bool resourceFromRoute = false)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new RequiredPermission(permission, resourceFromRoute));
        return builder;
    }

    /// <summary>No identity needed; <paramref name="why"/> documents it (e.g. "signature-verified webhook").</summary>
    public static TBuilder AllowAnonymousFunction<TBuilder>(this TBuilder builder, string why)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new AnonymousFunction(why));
        return builder;
    }
}
