using System.Collections.Concurrent;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Tests.Events;

/// <summary>Catalog users and ownership, in memory (the catalog feature implements the real one).</summary>
public sealed class TestDirectory : ICatalogDirectory
{
    public ConcurrentDictionary<string, DirectoryUser> Users { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, string[]> Owners { get; } = new(StringComparer.Ordinal);

    public void AddUser(string name, string[] groups, string? slackId = null)
    {
        var annotations = new Dictionary<string, string>();
        if (slackId is not null)
        {
            annotations[EventAnnotations.SlackUserId] = slackId;
        }

        var user = new DirectoryUser($"user:default/{name}", name, $"{name}@example.com", groups, annotations);
        Users[user.Ref] = user;
    }

    public ValueTask<DirectoryUser?> GetUserAsync(string userRef, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Users.GetValueOrDefault(userRef));

    public ValueTask<DirectoryUser?> FindUserAsync(string? annotation, string value, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Users.Values.FirstOrDefault(u => annotation is null
            ? string.Equals(u.Email, value, StringComparison.OrdinalIgnoreCase)
            : u.Annotations.TryGetValue(annotation, out var v) && v == value));

    public ValueTask<IReadOnlyList<string>> GetOwnersAsync(string entityRef, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>(Owners.GetValueOrDefault(entityRef) ?? []);

    public ValueTask<IReadOnlyList<DirectoryUser>> ListUsersAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<DirectoryUser>>([.. Users.Values]);
}

/// <summary>Components and locations, in memory.</summary>
public sealed class TestEventCatalog : IEventCatalog
{
    public ConcurrentDictionary<string, CatalogComponent> Components { get; } = new(StringComparer.Ordinal);

    public ConcurrentBag<string> Locations { get; } = [];

    public void AddComponent(string name, params (string Key, string Value)[] annotations) =>
        Components[$"component:default/{name}"] = new CatalogComponent($"component:default/{name}", annotations.ToDictionary(a => a.Key, a => a.Value));

    public Task<IReadOnlyList<CatalogComponent>> FindComponentsByAnnotationAsync(string annotation, string value, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CatalogComponent>>([.. Components.Values.Where(c => c.Annotations.TryGetValue(annotation, out var v) && string.Equals(v, value, StringComparison.OrdinalIgnoreCase))]);

    public Task<CatalogComponent?> GetComponentAsync(string componentRef, CancellationToken cancellationToken) =>
        Task.FromResult(Components.GetValueOrDefault(componentRef));

    public Task<IReadOnlyList<string>> ListLocationTargetsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. Locations]);
}

/// <summary>
/// The spec of who may do what in these tests: a table of user/group → permissions, global. Identity's real policy
/// (roles, ownership) replaces it in the app; here it only has to answer the way an <see cref="IAccessPolicy"/> does.
/// </summary>
public sealed class TestAccessPolicy : IAccessPolicy
{
    public ConcurrentDictionary<string, HashSet<string>> Grants { get; } = new(StringComparer.Ordinal);

    public void Grant(string subject, params string[] permissions) =>
        Grants.AddOrUpdate(subject, _ => [.. permissions], (_, set) => { set.UnionWith(permissions); return set; });

    public ValueTask<AccessDecision> DecideAsync(Caller caller, string permission, AccessResource? resource, CancellationToken cancellationToken)
    {
        if (!caller.IsAuthenticated)
        {
            return ValueTask.FromResult(AccessDecision.Deny(permission, "Sign in first."));
        }

        // Identity's defaults: every signed-in user reads the catalog; members of a team see notifications.
        var baseline = permission == Permissions.CatalogRead || (permission == Permissions.NotificationRead && caller.Groups.Count > 0);
        var subjects = caller.Groups.Append(caller.UserRef);
        return ValueTask.FromResult(baseline || subjects.Any(s => Grants.TryGetValue(s, out var p) && p.Contains(permission))
            ? AccessDecision.Allow(permission)
            : AccessDecision.Deny(permission, $"{caller.UserRef} has no role granting {permission}."));
    }
}

/// <summary>Keeps every audit event.</summary>
public sealed class RecordingAuditLog : IAuditLog
{
    public ConcurrentQueue<AuditEvent> Events { get; } = new();

    public Task RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        Events.Enqueue(auditEvent);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Stands in for the deployments feature until it lands: authorizes through the policy as the contract says, records
/// what it was asked, answers from a per-component list of environments.
/// </summary>
public sealed class RecordingDeploymentService(IAccessPolicy policy) : IDeploymentService
{
    /// <summary>The policy it authorizes with (the app's own once the host is built).</summary>
    public IAccessPolicy Policy { get; set; } = policy;

    public ConcurrentQueue<(DeploymentRequest Request, Caller Caller)> Started { get; } = new();

    public ConcurrentQueue<(string DeploymentId, string Control, Caller Caller)> Controls { get; } = new();

    public ConcurrentDictionary<string, List<EnvironmentSummary>> Environments { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, DeploymentSummary> Summaries { get; } = new(StringComparer.Ordinal);

    public async Task<DeploymentAccepted> StartAsync(DeploymentRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var envs = Environments.GetValueOrDefault(request.Component) ?? [new EnvironmentSummary("dev", 0, false, "rolling", null, null, null)];
        var env = request.Environment ?? envs.OrderBy(e => e.Order).First().Environment;
        if (envs.All(e => e.Environment != env))
        {
            throw ProblemException.NotFound($"{request.Component} has no environment {env}.");
        }

        await AuthorizeAsync(caller, Permissions.DeploymentCreate, request.Component, env, cancellationToken);
        Started.Enqueue((request with { Environment = env }, caller));
        var id = "d-" + Guid.NewGuid().ToString("N")[..10];
        return new DeploymentAccepted(id, request.Component, env, request.Version, $"/api/deployments/{id}");
    }

    public async Task<DeploymentAccepted> RollbackAsync(string component, string environment, string? toVersion, Caller caller, CancellationToken cancellationToken)
    {
        await AuthorizeAsync(caller, Permissions.DeploymentRollback, component, environment, cancellationToken);
        return new DeploymentAccepted("d-rollback", component, environment, toVersion ?? "previous", "/api/deployments/d-rollback");
    }

    public async Task<DeploymentAccepted> PromoteAsync(string component, string fromEnvironment, string toEnvironment, string? version, Caller caller, CancellationToken cancellationToken)
    {
        await AuthorizeAsync(caller, Permissions.DeploymentCreate, component, toEnvironment, cancellationToken);
        return new DeploymentAccepted("d-promote", component, toEnvironment, version ?? "current", "/api/deployments/d-promote");
    }

    public Task SendControlAsync(string deploymentId, string control, string? comment, Caller caller, CancellationToken cancellationToken)
    {
        if (!Summaries.ContainsKey(deploymentId))
        {
            throw ProblemException.NotFound($"Deployment {deploymentId} does not exist.");
        }

        Controls.Enqueue((deploymentId, control, caller));
        return Task.CompletedTask;
    }

    public Task<DeploymentSummary?> GetSummaryAsync(string deploymentId, CancellationToken cancellationToken) =>
        Task.FromResult(Summaries.GetValueOrDefault(deploymentId));

    public Task<IReadOnlyList<EnvironmentSummary>> GetEnvironmentsAsync(string component, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<EnvironmentSummary>>(Environments.GetValueOrDefault(component) ?? []);

    private async Task AuthorizeAsync(Caller caller, string permission, string component, string environment, CancellationToken ct)
    {
        var decision = await Policy.DecideAsync(caller, permission, new AccessResource(component, environment), ct);
        if (!decision.Allowed)
        {
            throw ProblemException.Forbidden(permission, decision.Reason ?? "denied");
        }
    }
}
