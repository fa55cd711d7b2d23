using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Deployments;

/// <summary>
/// Ask for a deployment of <paramref name="Version"/> of a component to an environment (null = its first environment);
/// <paramref name="SourceCommit"/> and <paramref name="CommittedAt"/> name the commit it was built from, when known.
/// </summary>
public sealed record DeploymentRequest(string Component, string? Environment, string Version, string Source, string? Reason = null, string? SourceCommit = null, DateTimeOffset? CommittedAt = null);

/// <summary>A deployment (or rollback / promotion) that was accepted and is now running as an orchestration.</summary>
public sealed record DeploymentAccepted(string DeploymentId, string Component, string Environment, string Version, string StatusUri);

/// <summary>The controls a running deployment or release accepts.</summary>
public static class DeploymentControls
{
    public const string Approve = "approve";
    public const string Reject = "reject";
    public const string Pause = "pause";
    public const string Resume = "resume";
    public const string Promote = "promote";
    public const string PromoteFull = "promote-full";
    public const string Abort = "abort";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Approve, Reject, Pause, Resume, Promote, PromoteFull, Abort };
}

/// <summary>A short view of a deployment for chat and notifications.</summary>
public sealed record DeploymentSummary(string Id, string Component, string Environment, string Version, string Status, string RequestedBy, DateTimeOffset CreatedAt, string? Message);

/// <summary>What runs where for one environment of a component.</summary>
public sealed record EnvironmentSummary(string Environment, int Order, bool Protected, string Strategy, string? CurrentVersion, string? Status, string? DeploymentId);

/// <summary>
/// The one entry to deployments used by HTTP functions, webhooks and chat alike. It authorizes the caller through
/// <see cref="IAccessPolicy"/> (throwing <c>ProblemException.Forbidden</c>), audits, and starts or signals the orchestration.
/// Validation failures throw <c>ProblemException</c> (404 unknown component/environment, 422 bad version, 409 conflicting release).
/// </summary>
public interface IDeploymentService
{
    Task<DeploymentAccepted> StartAsync(DeploymentRequest request, Caller caller, CancellationToken cancellationToken);

    Task<DeploymentAccepted> RollbackAsync(string component, string environment, string? toVersion, Caller caller, CancellationToken cancellationToken);

    Task<DeploymentAccepted> PromoteAsync(string component, string fromEnvironment, string toEnvironment, string? version, Caller caller, CancellationToken cancellationToken);

    /// <summary>Sends one of <see cref="DeploymentControls"/> to a running deployment (404 unknown, 410 finished, 409 not applicable now).</summary>
    Task SendControlAsync(string deploymentId, string control, string? comment, Caller caller, CancellationToken cancellationToken);

    Task<DeploymentSummary?> GetSummaryAsync(string deploymentId, CancellationToken cancellationToken);

    Task<IReadOnlyList<EnvironmentSummary>> GetEnvironmentsAsync(string component, CancellationToken cancellationToken);
}
