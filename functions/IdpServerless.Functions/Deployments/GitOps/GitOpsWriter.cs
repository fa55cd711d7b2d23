using System.Globalization;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Git;

namespace IdpServerless.Functions.Deployments.GitOps;

/// <summary>A commit of desired state; <see cref="Reused"/> when a retried step found its earlier commit.</summary>
public sealed record GitOpsCommit(string Sha, int Step, bool Reused);

/// <summary>
/// Writes desired state to the deployment repository through <see cref="IGitProvider"/>. Every commit carries the
/// trailers <c>Deployment-Id</c> and <c>Step</c>; before committing, the writer looks for the newest commit of the
/// deployment and reuses it when it already covers the step, so a retried activity never commits twice.
/// </summary>
public sealed partial class GitOpsWriter(IGitProvider git, ILogger<GitOpsWriter> logger)
{
    public const string DeploymentTrailer = "Deployment-Id";
    public const string StepTrailer = "Step";
    private const int MaxAttempts = 8;
    private const int SearchDepth = 500;
    private static readonly GitAuthor Author = new("IdpServerless", "deployments@idpserverless.local");

    public async Task<DesiredState?> ReadAsync(DesiredStateLocation location, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await git.ReadFileAsync(location.Repository, DesiredStateFiles.Join(location.Path, DesiredStateFiles.Values), location.Branch, cancellationToken).ConfigureAwait(false);
            return DesiredStateFiles.ParseValues(bytes);
        }
        catch (GitNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Commits <paramref name="state"/> as step <paramref name="step"/> of <paramref name="deploymentId"/>, at most once.</summary>
    public Task<GitOpsCommit> CommitAsync(DesiredStateLocation location, string ns, DesiredState state, string deploymentId, int step, string subject, string? requestedBy, CancellationToken cancellationToken) =>
        CommitAsync(location, null, ns, state, deploymentId, step, subject, requestedBy, cancellationToken);

    /// <summary>As above, writing the same state to each of <paramref name="paths"/> (one folder per cluster of a wave) in one commit; null or empty writes <see cref="DesiredStateLocation.Path"/>.</summary>
    public async Task<GitOpsCommit> CommitAsync(DesiredStateLocation location, IReadOnlyList<string>? paths, string ns, DesiredState state, string deploymentId, int step, string subject, string? requestedBy, CancellationToken cancellationToken)
    {
        var repo = location.Repository;
        await git.CreateRepositoryAsync(repo, $"Desired state of {state.Component}", cancellationToken).ConfigureAwait(false);
        var changes = paths is { Count: > 0 } ? paths.SelectMany(p => DesiredStateFiles.Render(p, state, ns)).ToList() : DesiredStateFiles.Render(location.Path, state, ns);
        var message = $"{subject}\n\n{DeploymentTrailer}: {deploymentId}\n{StepTrailer}: {step.ToString(CultureInfo.InvariantCulture)}\n" +
                      (requestedBy is null ? string.Empty : $"Requested-By: {requestedBy}\n");
        for (var attempt = 1; ; attempt++)
        {
            var existing = await git.FindCommitByTrailerAsync(repo, location.Branch, DeploymentTrailer, deploymentId, SearchDepth, cancellationToken).ConfigureAwait(false);
            if (existing is not null && ReadStep(existing.Message) is { } done && done >= step)
            {
                Log.Reused(logger, deploymentId, step, existing.Sha);
                return new GitOpsCommit(existing.Sha, done, true);
            }

            var head = await git.GetHeadAsync(repo, location.Branch, cancellationToken).ConfigureAwait(false);
            try
            {
                var commit = await git.CommitAsync(repo, location.Branch, changes, message, Author, head, cancellationToken).ConfigureAwait(false);
                Log.Committed(logger, deploymentId, step, repo.ToString(), commit.Sha);
                return new GitOpsCommit(commit.Sha, step, false);
            }
            catch (GitConflictException) when (attempt < MaxAttempts)
            {
                // Someone else moved the branch (another environment's deployment): re-read and try again.
                await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The <c>Step</c> trailer of a commit message, if any.</summary>
    public static int? ReadStep(string message)
    {
        foreach (var line in message.Split('\n'))
        {
            var t = line.Trim();
            if (t.StartsWith(StepTrailer + ":", StringComparison.Ordinal) &&
                int.TryParse(t[(StepTrailer.Length + 1)..].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                return n;
            }
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(6001, LogLevel.Information, "Deployment {DeploymentId} step {Step}: committed {Sha} to {Repository}")]
        public static partial void Committed(ILogger logger, string deploymentId, int step, string repository, string sha);

        [LoggerMessage(6002, LogLevel.Information, "Deployment {DeploymentId} step {Step}: reusing earlier commit {Sha}")]
        public static partial void Reused(ILogger logger, string deploymentId, int step, string sha);
    }
}
