using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using IdpServerless.Functions.Delivery;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Monitoring;
using IdpServerless.Functions.Notifications;

namespace IdpServerless.Functions.Deployments.Orchestrations;

/// <summary>Stores the deployment's record (an upsert: safe to repeat).</summary>
public sealed class SaveDeploymentActivity(DeploymentStore store)
{
    [Function(DeploymentFunctions.Save)]
    public async Task<bool> RunAsync([ActivityTrigger] DeploymentRecord input)
    {
        await store.SaveAsync(input, CancellationToken.None).ConfigureAwait(false);
        return true;
    }
}

/// <summary>Reads the environment's desired state from the deployment repository.</summary>
public sealed class ReadDesiredStateActivity(GitOpsWriter gitOps)
{
    [Function(DeploymentFunctions.ReadDesiredState)]
    public Task<DesiredState?> RunAsync([ActivityTrigger] DesiredStateLocation input) =>
        gitOps.ReadAsync(input, CancellationToken.None);
}

/// <summary>Commits desired state; the Deployment-Id/Step trailers make a retried call find its earlier commit.</summary>
public sealed class CommitDesiredStateActivity(GitOpsWriter gitOps)
{
    [Function(DeploymentFunctions.Commit)]
    public Task<GitOpsCommit> RunAsync([ActivityTrigger] CommitInput input) =>
        gitOps.CommitAsync(input.Location, input.Paths, input.Namespace, input.State, input.DeploymentId, input.Step, input.Subject, input.RequestedBy, CancellationToken.None);
}

/// <summary>Asks the CD tool to sync, then reports whether it reached the commit and how healthy the application is.</summary>
public sealed class CheckRolloutActivity(ICdProvider cd, IGitProvider git)
{
    [Function(DeploymentFunctions.CheckRollout)]
    public async Task<RolloutCheck> RunAsync([ActivityTrigger] RolloutInput input)
    {
        var app = input.Application;
        var status = await cd.GetStatusAsync(app, CancellationToken.None).ConfigureAwait(false);
        if (status.Revision != input.Sha && !await IsNewerAsync(app, status.Revision, input.Sha).ConfigureAwait(false))
        {
            await cd.SyncAsync(app, CancellationToken.None).ConfigureAwait(false);
            status = await cd.GetStatusAsync(app, CancellationToken.None).ConfigureAwait(false);
        }

        var synced = status.Sync == SyncStatuses.Synced && (status.Revision == input.Sha || await IsNewerAsync(app, status.Revision, input.Sha).ConfigureAwait(false));
        return new RolloutCheck(synced, status.Health, status.Revision, status.Message);
    }

    // Synced to a later commit of the branch counts as synced to ours.
    private async Task<bool> IsNewerAsync(CdApplication app, string? revision, string sha)
    {
        if (revision is null)
        {
            return false;
        }

        var log = await git.LogAsync(app.Source.Repository, app.Source.Branch, null, 200, CancellationToken.None).ConfigureAwait(false);
        var (rev, ours) = (log.ToList().FindIndex(c => c.Sha == revision), log.ToList().FindIndex(c => c.Sha == sha));
        return rev >= 0 && ours >= 0 && rev < ours;
    }
}

/// <summary>One analysis measurement: every metric's query evaluated against its threshold.</summary>
public sealed class MeasureAnalysisActivity(IMetricsProvider metrics, TimeProvider time)
{
    [Function(DeploymentFunctions.Measure)]
    public async Task<IReadOnlyList<AnalysisResult>> RunAsync([ActivityTrigger] MeasureInput input)
    {
        var results = new List<AnalysisResult>();
        foreach (var m in input.Metrics)
        {
            var promQl = MetricQuery.Expand(m.Query, input.App, input.Namespace, input.Version, input.Window);
            MetricValue value;
            try
            {
                value = await metrics.QueryAsync(new MetricQuery(m.Name, promQl, input.App, input.Namespace, input.Version, input.Clusters), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException)
            {
                value = new MetricValue(null, $"metrics provider error: {e.Message}");
            }

            var result = value.Value is not { } v ? AnalysisOutcomes.Inconclusive
                : Passes(v, m.Comparison, m.Threshold) ? AnalysisOutcomes.Successful : AnalysisOutcomes.Failed;
            results.Add(new AnalysisResult(time.GetUtcNow(), m.Name, value.Value, m.Threshold, result, value.Reason));
        }

        return results;
    }

    public static bool Passes(double value, string comparison, double threshold) => comparison switch
    {
        ">=" => value >= threshold,
        "<=" => value <= threshold,
        ">" => value > threshold,
        "<" => value < threshold,
        _ => false,
    };
}

/// <summary>
/// Reads the time of the commit a version was built from in the component's source repository (DORA's lead time
/// starts there). Best effort: a repository or commit the Git provider does not know, or a failing provider, gives
/// null, and lead time falls back to the version's first deployment request; a deployment never fails for it.
/// </summary>
public sealed partial class ReadCommitTimeActivity(IGitProvider git, ILogger<ReadCommitTimeActivity> logger)
{
    [Function(DeploymentFunctions.CommitTime)]
    public async Task<DateTimeOffset?> RunAsync([ActivityTrigger] CommitTimeInput input)
    {
        try
        {
            var commit = await git.GetCommitAsync(RepoRef.Parse(input.Repository), input.Sha, CancellationToken.None).ConfigureAwait(false);
            if (commit is null)
            {
                LogNoCommit(logger, input.Sha, input.Repository, "not found");
            }

            return commit?.At;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNoCommit(logger, input.Sha, input.Repository, e.GetType().Name + ": " + e.Message);
            return null;
        }
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "No commit time for {Sha} in {Repository} ({Reason}); lead time starts at the first deployment request")]
    private static partial void LogNoCommit(ILogger logger, string sha, string repository, string reason);
}

/// <summary>Publishes a notification (when a publisher is registered; the outbox makes it durable).</summary>
public sealed class NotifyActivity(IServiceProvider services)
{
    [Function(DeploymentFunctions.Notify)]
    public async Task<bool> RunAsync([ActivityTrigger] NotifyInput input)
    {
        if (services.GetService<INotificationPublisher>() is not { } publisher)
        {
            return false;
        }

        await (input.OutboxId is { } id
            ? publisher.PublishAsync(input.Event, id, CancellationToken.None)
            : publisher.PublishAsync(input.Event, CancellationToken.None)).ConfigureAwait(false);
        return true;
    }
}
