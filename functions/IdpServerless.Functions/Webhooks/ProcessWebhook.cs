using Microsoft.Azure.Functions.Worker;
using System.Text.Json;
using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Deployments;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Webhooks;

/// <summary>
/// Queue function on <c>webhooks</c>: a push touching a registered catalog file refreshes that location; a push to the
/// default branch, a published release or a published image starts a deployment of every opted-in component of the
/// repository to its first environment; pull/merge requests update the open count. A delivery that can never succeed
/// (malformed, refused by policy, rejected by deployments) goes to <c>webhooks-poison</c> with the reason; transient
/// failures are retried, and effects already done for the delivery are not repeated.
/// </summary>
public sealed partial class ProcessWebhook(FunctionInvoker invoker, 
    IEventCatalog catalog,
    IDeploymentService deployments,
    PullRequestStore pullRequests,
    StorageOnce storage,
    IAuditLog audit,
    QueueWakeup wakeup,
    IOptions<CatalogOptions> catalogOptions,
    ILogger<ProcessWebhook> logger) : IQueueHandler
{
    public const string FunctionName = "ProcessWebhook";

    /// <summary>The queue-triggered function (the host's Storage Queues trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    public Task RunAsync([QueueTrigger(WebhookEnvelope.QueueName)] Azure.Storage.Queues.Models.QueueMessage message, CancellationToken cancellationToken) =>
        invoker.RunQueueAsync(FunctionName, message, this, cancellationToken);
    public const string EffectsTable = "webhookeffects";

    public async Task HandleAsync(QueueMessageContext message, CancellationToken ct)
    {
        WebhookEnvelope envelope;
        GitEvent? gitEvent;
        try
        {
            envelope = WebhookEnvelope.Parse(message.Body);
            gitEvent = GitEventReader.Read(envelope);
        }
        catch (JsonException e)
        {
            throw new PoisonMessageException($"The webhook payload cannot be read: {e.Message}");
        }

        switch (gitEvent)
        {
            case PushEvent push:
                await RefreshCatalogAsync(envelope, push, ct);
                if (push.ToDefaultBranch)
                {
                    await AutoDeployAsync(envelope, push, push.After, $"push to {push.Branch} ({push.After[..Math.Min(7, push.After.Length)]})", ct, push.After, push.CommittedAt);
                }

                break;
            case ReleaseEvent release:
                await AutoDeployAsync(envelope, release, release.Tag, $"release {release.Tag}", ct);
                break;
            case PackagePublishedEvent package:
                await AutoDeployAsync(envelope, package, package.Version, $"image {package.Version} published", ct);
                break;
            case PullRequestEvent pr:
                if (await pullRequests.ApplyAsync(pr, ct))
                {
                    await AuditAsync(envelope, "webhook.pull-request", $"{pr.Repository}#{pr.Number}", AuditOutcomes.Success, new() { ["state"] = pr.Open ? "open" : "closed" }, ct);
                }

                break;
            default:
                LogNothingToDo(logger, envelope.Provider, envelope.Event, envelope.DeliveryId);
                break;
        }
    }

    private async Task RefreshCatalogAsync(WebhookEnvelope envelope, PushEvent push, CancellationToken ct)
    {
        var targets = CatalogTargets.Touched(push, await catalog.ListLocationTargetsAsync(ct));
        if (targets.Count == 0)
        {
            return;
        }

        var refreshQueue = catalogOptions.Value.RefreshQueue;
        var queue = await storage.QueueAsync(refreshQueue, ct);
        foreach (var target in targets)
        {
            // Refreshing is idempotent, so a retried delivery may ask again without harm.
            await queue.SendAsync(JsonSerializer.Serialize(new { target }), ct: ct);
            await AuditAsync(envelope, "webhook.catalog-refresh", target, AuditOutcomes.Success, null, ct);
            LogRefresh(logger, target, envelope.DeliveryId);
        }

        wakeup.Notify(refreshQueue);
    }

    private async Task AutoDeployAsync(WebhookEnvelope envelope, GitEvent e, string version, string why, CancellationToken ct, string? commit = null, DateTimeOffset? committedAt = null)
    {
        var components = await catalog.FindComponentsByAnnotationAsync(EventAnnotations.SlugFor(e.Host), e.Repository, ct);
        var optedIn = components.Where(c => c.Annotations.TryGetValue(EventAnnotations.AutoDeploy, out var v) && string.Equals(v.Trim(), "true", StringComparison.OrdinalIgnoreCase));
        var effects = await storage.TableAsync(EffectsTable, ct);
        var pk = TableKeys.Escape($"{envelope.Provider}:{envelope.DeliveryId}");
        var caller = WebhookCaller.For(e.Host, e.Repository);
        foreach (var component in optedIn)
        {
            var rk = TableKeys.Escape(component.Ref);
            if (await effects.GetEntityAsync(pk, rk, ct: ct) is not null)
            {
                continue; // done on an earlier attempt of this delivery
            }

            DeploymentAccepted accepted;
            try
            {
                accepted = await deployments.StartAsync(new DeploymentRequest(component.Ref, null, version, $"webhook:{e.Host}", $"{why} in {e.Repository}", commit, committedAt), caller, ct);
            }
            catch (ProblemException p) when (p.Status is >= 400 and < 500)
            {
                var outcome = p.Status == StatusCodes.Status403Forbidden ? AuditOutcomes.Denied : AuditOutcomes.Failed;
                await AuditAsync(envelope, "webhook.auto-deploy", component.Ref, outcome, new() { ["version"] = version, ["reason"] = p.Detail ?? p.Title }, ct);
                throw new PoisonMessageException($"Auto-deploy of {component.Ref} {version} was refused ({p.Status}): {p.Detail ?? p.Title}");
            }

            await effects.UpsertEntityAsync(new TableEntity(pk, rk) { ["DeploymentId"] = accepted.DeploymentId, ["Version"] = version }, ct: ct);
            await AuditAsync(envelope, "webhook.auto-deploy", component.Ref, AuditOutcomes.Success,
                new() { ["version"] = version, ["environment"] = accepted.Environment, ["deploymentId"] = accepted.DeploymentId }, ct);
            LogDeployStarted(logger, component.Ref, version, accepted.Environment, accepted.DeploymentId);
        }
    }

    private Task AuditAsync(WebhookEnvelope envelope, string action, string target, string outcome, Dictionary<string, string>? detail, CancellationToken ct)
    {
        detail ??= [];
        detail["event"] = envelope.Event;
        detail["deliveryId"] = envelope.DeliveryId;
        var caller = WebhookCaller.For(envelope.Provider, envelope.Repository ?? "unknown");
        return audit.RecordAsync(new AuditEvent(action, target, outcome, caller, envelope.DeliveryId, null, detail), ct);
    }

    [LoggerMessage(EventId = 8010, Level = LogLevel.Debug, Message = "{Provider} {Event} delivery {DeliveryId} asks for nothing")]
    private static partial void LogNothingToDo(ILogger logger, string provider, string @event, string deliveryId);

    [LoggerMessage(EventId = 8011, Level = LogLevel.Information, Message = "Asked the catalog to refresh {Target} (delivery {DeliveryId})")]
    private static partial void LogRefresh(ILogger logger, string target, string deliveryId);

    [LoggerMessage(EventId = 8012, Level = LogLevel.Information, Message = "Auto-deploy of {Component} {Version} to {Environment} started as {DeploymentId}")]
    private static partial void LogDeployStarted(ILogger logger, string component, string version, string environment, string deploymentId);
}
