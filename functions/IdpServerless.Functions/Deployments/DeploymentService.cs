using System.Security.Cryptography;
using System.Text.RegularExpressions;
using IdpServerless.Hosting.Durable;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Orchestrations;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Deployments;

/// <summary>
/// The one entry to deployments (HTTP, webhooks, chat): validates, authorizes through <see cref="IAccessPolicy"/>,
/// audits, locks the environment and starts the orchestration. Nothing slow happens here: reading Git, committing and
/// waiting are the orchestration's work, so a trigger is answered in milliseconds.
/// </summary>
public sealed partial class DeploymentService(
    ComponentDeliveryResolver resolver,
    DeploymentStore store,
    OrchestrationInstances orchestrations,
    IAccessPolicy access,
    IComponentLookup components,
    IServiceProvider services,
    TimeProvider time,
    ILogger<DeploymentService> logger) : IDeploymentService
{
    public async Task<DeploymentAccepted> StartAsync(DeploymentRequest request, Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var delivery = await resolver.ResolveAsync(request.Component, "component", cancellationToken).ConfigureAwait(false);
        var env = ComponentDeliveryResolver.Environment(delivery, request.Environment);
        ValidateVersion(request.Version, "version");
        await AuthorizeAsync(caller, Permissions.DeploymentCreate, delivery.ComponentRef, env.Name, "deployment.create", cancellationToken).ConfigureAwait(false);
        var commit = ValidateCommit(request.SourceCommit, request.CommittedAt);
        var sourceRepository = commit is { Sha: not null, At: null } ? await SourceRepositoryAsync(delivery.ComponentRef, cancellationToken).ConfigureAwait(false) : null;
        var accepted = await StartCoreAsync(DeploymentKinds.Deploy, delivery, env, request.Version, caller, request.Source, request.Reason, commit, cancellationToken, sourceRepository).ConfigureAwait(false);
        await AfterManualStartAsync(delivery, env, DeploymentKinds.Deploy, null, caller, accepted.DeploymentId, cancellationToken).ConfigureAwait(false);
        return accepted;
    }

    public async Task<DeploymentAccepted> RollbackAsync(string component, string environment, string? toVersion, Caller caller, CancellationToken cancellationToken)
    {
        var delivery = await resolver.ResolveAsync(component, "component", cancellationToken).ConfigureAwait(false);
        var env = ComponentDeliveryResolver.Environment(delivery, environment);
        if (toVersion is not null)
        {
            ValidateVersion(toVersion, "toVersion");
        }

        await AuthorizeAsync(caller, Permissions.DeploymentRollback, delivery.ComponentRef, env.Name, "deployment.rollback", cancellationToken).ConfigureAwait(false);
        var succeeded = await SucceededVersionsAsync(delivery.ComponentRef, env.Name, cancellationToken).ConfigureAwait(false);
        var current = (await store.GetEnvironmentsAsync(delivery.ComponentRef, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(e => e.Environment == env.Name)?.CurrentVersion;
        var target = toVersion ?? succeeded.FirstOrDefault(v => v != current)
            ?? throw ProblemException.Conflict($"{env.Name} has no earlier successful version than {current ?? "nothing"} to roll back to.");
        if (!succeeded.Contains(target))
        {
            throw ProblemException.Validation("toVersion", $"{target} never succeeded in {env.Name}: roll back only to a version that ran there (known: {string.Join(", ", succeeded.Take(10))}).");
        }

        var accepted = await StartCoreAsync(DeploymentKinds.Rollback, delivery, env, target, caller, caller.Channel, $"rollback to {target}", default, cancellationToken).ConfigureAwait(false);
        await AfterManualStartAsync(delivery, env, DeploymentKinds.Rollback, current, caller, accepted.DeploymentId, cancellationToken).ConfigureAwait(false);
        return accepted;
    }

    public async Task<DeploymentAccepted> PromoteAsync(string component, string fromEnvironment, string toEnvironment, string? version, Caller caller, CancellationToken cancellationToken)
    {
        var delivery = await resolver.ResolveAsync(component, "component", cancellationToken).ConfigureAwait(false);
        var from = delivery.Find(fromEnvironment ?? string.Empty) ?? throw ProblemException.Validation("from", $"'{fromEnvironment}' is not an environment of {delivery.ComponentRef}.");
        var to = delivery.Find(toEnvironment ?? string.Empty) ?? throw ProblemException.Validation("to", $"'{toEnvironment}' is not an environment of {delivery.ComponentRef}.");
        if (to.Order <= from.Order)
        {
            throw ProblemException.Validation("to", $"{to.Name} does not come after {from.Name} in the promotion order ({string.Join(" → ", delivery.Environments.Select(e => e.Name))}).");
        }

        await AuthorizeAsync(caller, Permissions.DeploymentCreate, delivery.ComponentRef, to.Name, "deployment.promote", cancellationToken).ConfigureAwait(false);
        var succeeded = await SucceededVersionsAsync(delivery.ComponentRef, from.Name, cancellationToken).ConfigureAwait(false);
        if (version is not null)
        {
            ValidateVersion(version, "version");
            if (!succeeded.Contains(version))
            {
                throw ProblemException.Validation("version", $"{version} has not succeeded in {from.Name}: promote only what ran there.");
            }
        }
        else
        {
            version = (await store.GetEnvironmentsAsync(delivery.ComponentRef, cancellationToken).ConfigureAwait(false)).FirstOrDefault(e => e.Environment == from.Name)?.CurrentVersion
                      ?? throw ProblemException.Conflict($"Nothing has been deployed to {from.Name} yet: there is nothing to promote.");
        }

        var accepted = await StartCoreAsync(DeploymentKinds.Promote, delivery, to, version, caller, caller.Channel, $"promoted from {from.Name}", default, cancellationToken).ConfigureAwait(false);
        await AfterManualStartAsync(delivery, to, DeploymentKinds.Promote, null, caller, accepted.DeploymentId, cancellationToken).ConfigureAwait(false);
        return accepted;
    }

    /// <summary>The component's source repository (its <c>github.com/project-slug</c>), where the orchestration reads a commit's time; null when it declares none.</summary>
    private async Task<string?> SourceRepositoryAsync(string componentRef, CancellationToken ct) =>
        await components.FindAsync(componentRef, ct).ConfigureAwait(false) is { } info &&
        info.Annotations.TryGetValue(Webhooks.EventAnnotations.GitHubProjectSlug, out var slug) && ParseRepo(slug) is { } repo
            ? repo.ToString()
            : null;

    private static Git.RepoRef? ParseRepo(string slug)
    {
        try
        {
            return Git.GitInput.Repo(Git.RepoRef.Parse(slug.Trim()));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
    }

    private async Task<DeploymentAccepted> StartCoreAsync(string kind, ComponentDelivery delivery, DeliveryEnvironment env, string version, Caller caller, string? source, string? reason, (string? Sha, DateTimeOffset? At) commit, CancellationToken ct, string? sourceRepository = null, string? fixedId = null)
    {
        if (services.GetService<Analysis.AnalysisTemplateResolver>() is { } templates)
        {
            // Argo Rollouts templates are read from the deployment repository now and snapshotted into the plan.
            env = await templates.ResolveAsync(env, ct).ConfigureAwait(false);
        }

        var now = time.GetUtcNow();
        var id = fixedId ?? NewId(now);
        var plan = NewPlan(id, kind, delivery, env, version, caller, source, reason, commit, sourceRepository, now);
        var holder = await store.TryAcquireAsync(delivery.ComponentRef, env.Name, id, h => IsFinishedAsync(h, ct), ct).ConfigureAwait(false);
        if (holder is not null)
        {
            throw new ProblemException(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "Conflict.",
                $"Deployment {holder} is still under way in {env.Name} of {delivery.ComponentRef}: wait for it, or abort it first.")
            { Extensions = { ["deploymentId"] = holder } };
        }

        try
        {
            // The record and the orchestration are written side by side: the record is only inserted, so whichever
            // lands first, the orchestration's own saves are never overwritten.
            var labels = new Dictionary<string, string> { ["component"] = delivery.ComponentRef, ["environment"] = env.Name, ["kind"] = kind };
            await Task.WhenAll(
                store.CreateAsync(DeploymentOrchestrator.Initial(plan), ct),
                orchestrations.StartAsync(DeploymentFunctions.Orchestrator, plan, id, labels, ct)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Never leave a half-started deployment: free the environment and mark the record as failed to start.
            await store.ReleaseAsync(delivery.ComponentRef, env.Name, id, CancellationToken.None).ConfigureAwait(false);
            var failed = DeploymentOrchestrator.Initial(plan) with { Status = DeploymentStatuses.Failed, Message = $"could not start: {e.GetType().Name}", FinishedAt = time.GetUtcNow() };
            try
            {
                await store.SaveAsync(failed, CancellationToken.None).ConfigureAwait(false);
            }
            catch (StorageException)
            {
                // Storage itself is failing: the caller gets the original error.
            }

            throw;
        }

        Log.Started(logger, id, kind, delivery.ComponentRef, env.Name, version, caller.UserRef);
        await AuditAsync(caller, $"deployment.{kind}", $"{delivery.ComponentRef}@{env.Name}", AuditOutcomes.Success, id,
            new Dictionary<string, string> { ["version"] = version, ["deploymentId"] = id }, ct).ConfigureAwait(false);
        return new DeploymentAccepted(id, delivery.ComponentRef, env.Name, version, $"/api/deployments/{id}");
    }

    private async Task<bool> IsFinishedAsync(string deploymentId, CancellationToken ct)
    {
        var record = await store.GetAsync(deploymentId, ct).ConfigureAwait(false);
        if (record is null || DeploymentStatuses.IsFinished(record.Status))
        {
            return true;
        }

        // The record says running; trust the engine's view when the instance ended without saying so (e.g. terminated).
        var instance = await orchestrations.Client.GetInstanceAsync(deploymentId, false, ct).ConfigureAwait(false);
        return instance is null
            ? time.GetUtcNow() - record.CreatedAt > TimeSpan.FromMinutes(1)
            : instance.RuntimeStatus.IsFinished();
    }

    private async Task<IReadOnlyList<string>> SucceededVersionsAsync(string component, string environment, CancellationToken ct)
    {
        var (items, _) = await store.ListAsync(component, environment, DeploymentStatuses.Succeeded, 100, null, ct).ConfigureAwait(false);
        return items.Select(i => i.Version).Distinct(StringComparer.Ordinal).ToList();
    }

    private async Task AuthorizeAsync(Caller caller, string permission, string component, string environment, string action, CancellationToken ct)
    {
        var decision = await access.DecideAsync(caller, permission, new AccessResource(component, environment), ct).ConfigureAwait(false);
        if (!decision.Allowed)
        {
            await AuditAsync(caller, action, $"{component}@{environment}", AuditOutcomes.Denied, null, new Dictionary<string, string> { ["permission"] = permission }, ct).ConfigureAwait(false);
            throw ProblemException.Forbidden(permission, decision.Reason ?? $"{caller.UserRef} may not {action} {component} in {environment}.");
        }
    }

    // HTTP calls are audited by the access middleware (the endpoints add the deployment's details to that record);
    // chat, webhooks and template tasks get their record here.
    private async Task AuditAsync(Caller caller, string action, string target, string outcome, string? correlation, IReadOnlyDictionary<string, string> detail, CancellationToken ct)
    {
        if (caller.Channel is Channels.Browser or Channels.Api)
        {
            return;
        }

        if (services.GetService<IAuditLog>() is { } audit)
        {
            await audit.RecordAsync(new AuditEvent(action, target, outcome, caller, correlation, null, detail), ct).ConfigureAwait(false);
        }
    }

    /// <summary>A commit sha is 7-64 hex digits; its time may not lie in the future (a lead time is never negative).</summary>
    private (string? Sha, DateTimeOffset? At) ValidateCommit(string? sha, DateTimeOffset? at)
    {
        if (sha is not null && !CommitRule().IsMatch(sha))
        {
            throw ProblemException.Validation("commit", "must be a commit sha: 7 to 64 hexadecimal digits");
        }

        if (at is { } t && t > time.GetUtcNow().AddMinutes(5))
        {
            throw ProblemException.Validation("committedAt", "lies in the future");
        }

        return (sha?.ToLowerInvariant(), at);
    }

    [GeneratedRegex("^[0-9a-fA-F]{7,64}$")]
    private static partial Regex CommitRule();

    private static void ValidateVersion(string? version, string field)
    {
        if (string.IsNullOrWhiteSpace(version) || !VersionRule().IsMatch(version))
        {
            throw ProblemException.Validation(field, "must be an image tag: letters, digits, '_', '.', '-' (at most 128, not starting with '.' or '-')");
        }
    }

    private static string NewId(DateTimeOffset now) =>
        $"dep-{now:yyyyMMddHHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex VersionRule();

    private static partial class Log
    {
        [LoggerMessage(6201, LogLevel.Information, "Deployment {DeploymentId} ({Kind}) of {Component} {Version} to {Environment} started by {User}")]
        public static partial void Started(ILogger logger, string deploymentId, string kind, string component, string environment, string version, string user);
    }
}
