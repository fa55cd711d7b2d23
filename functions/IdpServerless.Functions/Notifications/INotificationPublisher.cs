namespace IdpServerless.Functions.Notifications;

/// <summary>Kinds of events teams can subscribe to.</summary>
public static class NotificationEvents
{
    public const string DeploymentStarted = "deployment.started";
    public const string DeploymentSucceeded = "deployment.succeeded";
    public const string DeploymentFailed = "deployment.failed";
    public const string DeploymentRolledBack = "deployment.rolledback";
    public const string ApprovalNeeded = "approval.needed";
    public const string CanaryPaused = "canary.paused";
    public const string TemplateCompleted = "template.completed";
    public const string TemplateFailed = "template.failed";
}

/// <summary>A link shown with a notification (and, for approvals, the buttons' targets).</summary>
public sealed record NotificationLink(string Title, string Url);

/// <summary>Something that happened, to be delivered to everyone subscribed to it.</summary>
/// <param name="Type">One of <see cref="NotificationEvents"/>.</param>
/// <param name="Component">Entity ref of the component concerned, if any.</param>
/// <param name="Environment">Environment concerned, if any.</param>
/// <param name="Subject">Deployment id / task id.</param>
/// <param name="Title">One line.</param>
/// <param name="Text">Details (no secrets).</param>
/// <param name="Severity">info, warning or critical (PagerDuty pages on critical production failures).</param>
/// <param name="Links">Links to show.</param>
/// <param name="Facts">Key/value facts (version, who, reason).</param>
public sealed record NotificationEvent(
    string Type,
    string? Component,
    string? Environment,
    string Subject,
    string Title,
    string Text,
    string Severity,
    IReadOnlyList<NotificationLink> Links,
    IReadOnlyDictionary<string, string> Facts);

/// <summary>
/// Publishes an event: it is written durably to the outbox queue before this returns, then fanned out to subscribers'
/// channels by queue functions with retries; a provider that is down delays delivery, never loses it.
/// </summary>
public interface INotificationPublisher
{
    Task PublishAsync(NotificationEvent notification, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes under a caller-chosen outbox id: publishing the same event with the same id again (an activity that
    /// ran again after a crash) fans out to the same delivery ids, which are sent once.
    /// </summary>
    Task PublishAsync(NotificationEvent notification, string outboxId, CancellationToken cancellationToken);
}
