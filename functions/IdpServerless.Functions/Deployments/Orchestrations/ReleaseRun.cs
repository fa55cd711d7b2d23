using Microsoft.DurableTask;
using IdpServerless.Functions.Delivery;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Notifications;

namespace IdpServerless.Functions.Deployments.Orchestrations;

/// <summary>What a control wait ended with.</summary>
public enum ControlOutcome
{
    /// <summary>The time passed (or resume after a pause until promoted): go on.</summary>
    Continue,

    /// <summary>Skip the rest of the current step.</summary>
    Promote,

    /// <summary>Skip every remaining step.</summary>
    PromoteFull,

    /// <summary>Stop and roll back.</summary>
    Abort,
}

/// <summary>
/// One orchestration's working state and its durable building blocks (commit, wait for rollout, wait with controls,
/// pause, notify), shared by the rolling, blue/green and canary flows. Orchestrator code: deterministic, no I/O.
/// </summary>
public sealed class ReleaseRun(TaskOrchestrationContext context, DeploymentPlan plan, DeploymentRecord initial)
{
    internal static readonly TaskOptions Retried = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(20)));
    private readonly List<DeploymentStep> _steps = [.. initial.Steps];
    private readonly List<string> _commits = [.. initial.Commits];
    private Task<ControlEvent>? _pendingControl;
    private int _commitStep;

    public TaskOrchestrationContext Context => context;

    public DeploymentPlan Plan => plan;

    public DeploymentRecord Record { get; private set; } = initial;

    public DateTimeOffset Now => new(DateTime.SpecifyKind(context.CurrentUtcDateTime, DateTimeKind.Utc));

    /// <summary>A canary's background analysis once it started (null otherwise): waits wake for its measurements.</summary>
    public Analysis.BackgroundAnalysis? Background { get; set; }

    /// <summary>Who sent the last control that stopped or promoted the release, and the comment.</summary>
    public ControlEvent? LastControl { get; private set; }

    /// <summary>Changes the record in memory (saved with the next <see cref="SaveAsync"/>).</summary>
    public void Update(Func<DeploymentRecord, DeploymentRecord> change) => Record = change(Record);

    public async Task SaveAsync(string? status = null, string? message = null, ReleaseState? release = null, string? previousVersion = null)
    {
        var finished = status is not null && DeploymentStatuses.IsFinished(status);
        Record = Record with
        {
            Status = status ?? Record.Status,
            Message = message ?? Record.Message,
            Release = Background?.Merge(release ?? Record.Release) ?? release ?? Record.Release,
            PreviousVersion = previousVersion ?? Record.PreviousVersion,
            Steps = _steps.ToList(),
            Commits = _commits.ToList(),
            UpdatedAt = Now,
            FinishedAt = finished ? Now : Record.FinishedAt,
        };
        context.SetCustomStatus(LiveStatus(Record));
        await context.CallActivityAsync<bool>(DeploymentFunctions.Save, Record, Retried);
    }

    /// <summary>The live view kept in the instance's custom status (bounded: Durable Functions allows at most 16 KB), the full record goes to the table.</summary>
    public static object LiveStatus(DeploymentRecord r) => new
    {
        r.Id,
        r.Status,
        r.Version,
        r.PreviousVersion,
        r.Message,
        Step = r.Steps.Count > 0 ? r.Steps[^1] : null,
        Release = r.Release is { } rel ? rel with { Analysis = rel.Analysis.TakeLast(12).ToList(), AnalysisRuns = rel.AnalysisRuns?.TakeLast(6).ToList() } : null,
    };

    public void StartStep(string name, string? message = null) =>
        _steps.Add(new DeploymentStep(name, "Running", Now, null, message));

    public void FinishStep(string status, string? message = null)
    {
        var i = _steps.FindLastIndex(s => s.Status is "Running" or "Waiting");
        if (i >= 0)
        {
            _steps[i] = _steps[i] with { Status = status, FinishedAt = Now, Message = message ?? _steps[i].Message };
        }
    }

    public void WaitStep(string name, string message) => _steps.Add(new DeploymentStep(name, "Waiting", Now, null, message));

    /// <summary>
    /// When the trigger named the version's commit but not its time, reads the time from the component's source
    /// repository. Only plans that carry <see cref="DeploymentPlan.SourceRepository"/> call the activity, so
    /// orchestrations scheduled before it existed replay unchanged.
    /// </summary>
    public async Task ReadCommitTimeAsync()
    {
        if (plan is { SourceRepository: { } repository, SourceCommit: { } sha } && Record.CommittedAt is null &&
            await context.CallActivityAsync<DateTimeOffset?>(DeploymentFunctions.CommitTime, new CommitTimeInput(repository, sha)) is { } at)
        {
            Record = Record with { CommittedAt = at };
        }
    }

    public Task<DesiredState?> ReadDesiredStateAsync() => WavesFlow.IsWaved(plan)
        ? WavesFlow.ReadStableAsync(this)
        : context.CallActivityAsync<DesiredState?>(DeploymentFunctions.ReadDesiredState, plan.Environment.DesiredState, Retried);

    /// <summary>Points the building blocks at a wave's clusters (their folders and CD applications), or back at the whole environment.</summary>
    public void Scope(DeploymentPlan scoped) => plan = scoped;

    /// <summary>Sets each cluster's state of a release that goes wave by wave (saved with the record from now on).</summary>
    public void SetClusters(IReadOnlyList<ClusterReleaseState> clusters) => Record = Record with { Clusters = clusters };

    /// <summary>Commits desired state as the next step of this deployment (at most once, even if the activity is retried).</summary>
    public async Task<string> CommitAsync(DesiredState state, string subject)
    {
        _commitStep++;
        var input = new CommitInput(plan.Environment.DesiredState, plan.Namespace, state, plan.DeploymentId, _commitStep, subject, plan.RequestedBy, WavesFlow.Folders(plan));
        var commit = await context.CallActivityAsync<GitOpsCommit>(DeploymentFunctions.Commit, input, Retried);
        _commits.Add(commit.Sha);
        return commit.Sha;
    }

    /// <summary>Waits until the CD tool synced <paramref name="sha"/> and (when asked) the workloads are healthy, within the progress deadline.</summary>
    public async Task<(bool Ok, string? Message)> WaitRolloutAsync(string sha, bool requireHealthy)
    {
        var deadline = Now + plan.Environment.ProgressDeadline;
        var check = await CheckRolloutAsync(sha);
        // Bounded by the progress deadline (a loop the Durable Task analyzer can see the end of).
        while (!Settled(check, requireHealthy) && Now < deadline)
        {
            await context.CreateTimer(Min(Now + plan.PollInterval, deadline).UtcDateTime, CancellationToken.None);
            check = await CheckRolloutAsync(sha);
        }

        if (check.Synced && (!requireHealthy || check.Health == HealthStatuses.Healthy))
        {
            return (true, null);
        }

        if (requireHealthy && check.Synced && check.Health == HealthStatuses.Degraded)
        {
            return (false, $"rollout is degraded: {check.Message}");
        }

        var what = check.Synced ? $"not healthy ({check.Health}: {check.Message})" : $"not synced to {Short(sha)} (at {Short(check.Revision)})";
        return (false, $"progress deadline of {Durations.Format(plan.Environment.ProgressDeadline)} exceeded: {what}");
    }

    private Task<RolloutCheck> CheckRolloutAsync(string sha) => WavesFlow.IsWaved(plan)
        ? context.CallActivityAsync<RolloutCheck>(WaveFunctions.CheckRollout, new WaveRolloutInput(WavesFlow.Applications(plan), sha), Retried)
        : context.CallActivityAsync<RolloutCheck>(DeploymentFunctions.CheckRollout, new RolloutInput(plan.Application, sha), Retried);

    /// <summary>True when polling can stop: synced and healthy (or health not asked for), or synced and degraded.</summary>
    private static bool Settled(RolloutCheck check, bool requireHealthy) =>
        check.Synced && (!requireHealthy || check.Health is HealthStatuses.Healthy or HealthStatuses.Degraded);

    /// <summary>
    /// Waits until <paramref name="until"/> (null = until promoted/resumed) while honouring controls: pause holds the
    /// clock until resume; promote, promote-full and abort end the wait. Approve/reject have no meaning here and are ignored.
    /// </summary>
    public async Task<ControlOutcome> WaitWithControlsAsync(DateTimeOffset? until, string pausedMessage)
    {
        var paused = until is null;
        var remaining = until is { } u ? u - Now : TimeSpan.Zero;
        if (paused)
        {
            await PauseAsync(pausedMessage);
        }

        while (true)
        {
            ControlEvent? control;
            if (paused)
            {
                control = await NextControlAsync();
            }
            else
            {
                var started = Now;
                control = await NextControlAsync(Now + remaining);
                remaining -= Now - started;
                if (control is null)
                {
                    return ControlOutcome.Continue;
                }
            }

            switch (control!.Action)
            {
                case DeploymentControls.Pause when !paused:
                    paused = true;
                    await PauseAsync($"paused by {control.By}" + (control.Comment is null ? string.Empty : $": {control.Comment}"));
                    break;
                case DeploymentControls.Resume when paused:
                    await ResumeAsync(control);
                    if (until is null)
                    {
                        return ControlOutcome.Continue;
                    }

                    paused = false;
                    break;
                case DeploymentControls.Promote:
                    LastControl = control;
                    await ResumeIfPausedAsync(paused, control);
                    return ControlOutcome.Promote;
                case DeploymentControls.PromoteFull:
                    LastControl = control;
                    await ResumeIfPausedAsync(paused, control);
                    return ControlOutcome.PromoteFull;
                case DeploymentControls.Abort:
                    LastControl = control;
                    return ControlOutcome.Abort;
            }
        }
    }

    /// <summary>The next control, or null when <paramref name="until"/> passes first. One wait is outstanding at a time, so no event is lost.</summary>
    public async Task<ControlEvent?> NextControlAsync(DateTimeOffset? until = null)
    {
        _pendingControl ??= context.WaitForExternalEvent<ControlEvent>(ControlEvent.EventName);
        // Without a background analysis this is a wait for a control or until; with one it also wakes when it is due.
        while (Earliest(until, Background?.NextDue) is { } u)
        {
            using var cts = new CancellationTokenSource();
            var timer = context.CreateTimer(u.UtcDateTime, cts.Token);
            var winner = await Task.WhenAny(_pendingControl, timer);
            if (winner == _pendingControl)
            {
                cts.Cancel();
                break;
            }

            if (Background is { NextDue: { } due } background && Now >= due && await background.TickAsync(this) is { } end)
            {
                // Argo Rollouts: a failed or errored background analysis aborts the rollout, an inconclusive one pauses it.
                return new ControlEvent(end.Phase == AnalysisOutcomes.Inconclusive ? DeploymentControls.Pause : DeploymentControls.Abort, Analysis.BackgroundAnalysis.By, end.Message);
            }

            if (until is { } end2 && Now >= end2)
            {
                return null;
            }

            // The task hub's queues release a timer up to a second early (their visibility granularity): wait out the rest,
            // so an approval or a pause never ends before its time.
        }

        var control = await _pendingControl;
        _pendingControl = null;
        return control;
    }

    public Task NotifyAsync(string type, string title, string severity, string? text = null)
    {
        var links = plan.PortalUrl is { } p ? new List<NotificationLink> { new("Deployment", $"{p.TrimEnd('/')}/deployments/{plan.DeploymentId}") } : [];
        var facts = new Dictionary<string, string>
        {
            ["version"] = plan.Version,
            ["environment"] = plan.Environment.Name,
            ["strategy"] = plan.Environment.Strategy.Type,
            ["requestedBy"] = plan.RequestedBy,
        };
        var e = new NotificationEvent(type, plan.Component, plan.Environment.Name, plan.DeploymentId, title, text ?? Record.Message ?? title, severity, links, facts);
        return context.CallActivityAsync<bool>(DeploymentFunctions.Notify, new NotifyInput(e, context.NewGuid().ToString("N")), Retried);
    }

    public Task<IReadOnlyList<AnalysisResult>> MeasureAsync(AnalysisStep analysis, string version, string window)
    {
        var metrics = analysis.Templates.Select(t => plan.Environment.Strategy.Metrics[t]).ToList();
        return context.CallActivityAsync<IReadOnlyList<AnalysisResult>>(DeploymentFunctions.Measure,
            new MeasureInput(plan.App, plan.Namespace, version, plan.ClusterNames, metrics, window), Retried);
    }

    private async Task PauseAsync(string message)
    {
        StartStep("paused", message);
        await SaveAsync(DeploymentStatuses.Paused, message);
        await NotifyAsync(NotificationEvents.CanaryPaused, $"{plan.App} {plan.Version} paused in {plan.Environment.Name}", "info", message);
    }

    private async Task ResumeAsync(ControlEvent control)
    {
        FinishStep("Succeeded", $"resumed by {control.By}");
        await SaveAsync(DeploymentStatuses.Running, $"resumed by {control.By}");
    }

    private Task ResumeIfPausedAsync(bool paused, ControlEvent control) => paused ? ResumeAsync(control) : Task.CompletedTask;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : Min(a.Value, b.Value);

    private static string Short(string? sha) => sha is { Length: > 8 } ? sha[..8] : sha ?? "nothing";
}
