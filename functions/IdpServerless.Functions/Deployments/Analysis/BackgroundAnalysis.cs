using Microsoft.DurableTask;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Orchestrations;

namespace IdpServerless.Functions.Deployments.Analysis;

/// <summary>
/// A canary's background analysis (<c>strategy.analysis</c> with <c>startingStep</c>): from that step on, its metrics
/// are measured on their own schedule alongside the steps. <see cref="ReleaseRun.NextControlAsync"/>, where every wait
/// of a release ends up, wakes at <see cref="NextDue"/> and calls <see cref="TickAsync"/>; a failed or errored metric
/// aborts the release (as Argo Rollouts aborts the rollout), an inconclusive one pauses it for a human. When the steps
/// are done the analysis is stopped, as Argo stops it. Orchestrator code: deterministic.
/// </summary>
public sealed class BackgroundAnalysis
{
    /// <summary>Who a control synthesized by the background analysis is from.</summary>
    public const string By = "background analysis";

    public const string Name = "background";
    private static readonly TaskOptions Retried = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(20)));
    private readonly IReadOnlyList<AnalysisMetric> _metrics;
    private readonly string _window;
    private readonly DateTimeOffset[] _due;
    private readonly MetricTally[] _tally;
    private readonly string[] _phase;
    private readonly string?[] _why;
    private readonly List<int> _decisive;
    private readonly List<AnalysisResult> _results = [];
    private readonly TimeSpan _errorRetry;
    private AnalysisRunSummary _summary;
    private bool _stopped;

    public BackgroundAnalysis(AnalysisStep analysis, string window, DateTimeOffset start)
    {
        _metrics = analysis.Metrics ?? [];
        _window = window;
        _due = _metrics.Select(m => start + (m.InitialDelay ?? TimeSpan.Zero)).ToArray();
        _tally = _metrics.Select(_ => new MetricTally()).ToArray();
        _phase = _metrics.Select(_ => AnalysisOutcomes.Running).ToArray();
        _why = new string?[_metrics.Count];
        _decisive = Enumerable.Range(0, _metrics.Count).Where(i => !_metrics[i].DryRun).ToList();
        _errorRetry = analysis.Interval > TimeSpan.Zero ? analysis.Interval : AnalysisRunner.DefaultErrorRetry;
        _summary = Summary(AnalysisOutcomes.Running, null, start, null);
    }

    /// <summary>When the next measurement is due; null once stopped or done.</summary>
    public DateTimeOffset? NextDue => _stopped || !Running().Any() ? null : Running().Min(i => _due[i]);

    /// <summary>Takes the measurements due now; the message of a decisive failure, error or inconclusive end, else null.</summary>
    public async Task<(string Phase, string Message)?> TickAsync(ReleaseRun run)
    {
        var p = run.Plan;
        var batch = Running().Where(i => _due[i] <= run.Now).ToList();
        if (_stopped || batch.Count == 0)
        {
            return null;
        }

        var input = new MeasureMetricsInput(p.App, p.Namespace, p.Version, p.ClusterNames, batch.Select(i => _metrics[i]).ToList(), _window, Name);
        var results = await run.Context.CallActivityAsync<IReadOnlyList<AnalysisResult>>(AnalysisFunctions.MeasureMetrics, input, Retried);
        for (var k = 0; k < batch.Count && k < results.Count; k++)
        {
            var i = batch[k];
            _tally[i] = _tally[i].Add(results[k].Result);
            (_phase[i], _why[i]) = MetricAssessment.Assess(_metrics[i], _tally[i]);
            _due[i] = run.Now + (results[k].Result == AnalysisOutcomes.Error ? _metrics[i].Interval ?? _errorRetry : _metrics[i].Interval ?? TimeSpan.Zero);
        }

        _results.AddRange(results);
        (string Phase, string Message)? end = null;
        var bad = _decisive.Where(i => _phase[i] is AnalysisOutcomes.Failed or AnalysisOutcomes.Error or AnalysisOutcomes.Inconclusive).ToList();
        if (bad.Count > 0)
        {
            var phase = MetricAssessment.Combine(bad.Select(i => _phase[i]));
            var message = $"analysis {phase.ToLowerInvariant()} ({Name}): " + string.Join("; ", bad.Where(i => _phase[i] == phase).Select(i => $"{_metrics[i].Name}: {_why[i]}"));
            _stopped = true;
            _summary = Summary(phase, message, _summary.StartedAt, run.Now);
            end = (phase, message);
        }
        else
        {
            _summary = Summary(AnalysisOutcomes.Running, null, _summary.StartedAt, null);
        }

        await run.SaveAsync();
        return end;
    }

    /// <summary>Stops the analysis (the steps are done, or the release ends): its summary says why.</summary>
    public void Stop(DateTimeOffset at, string why)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        var phase = MetricAssessment.Combine(_decisive.Select(i => _phase[i]));
        _summary = Summary(phase == AnalysisOutcomes.Running ? AnalysisOutcomes.Successful : phase, $"analysis stopped ({Name}): {why}", _summary.StartedAt, at);
    }

    /// <summary>The release with the background analysis' measurements and summary in it (the flows keep their own copy of the release).</summary>
    public ReleaseState? Merge(ReleaseState? release)
    {
        if (release is null)
        {
            return null;
        }

        var runs = (release.AnalysisRuns ?? []).Where(r => r.Name != Name).Append(_summary).ToList();
        return release with { Analysis = [.. release.Analysis, .. _results.Where(r => !release.Analysis.Contains(r))], AnalysisRuns = runs };
    }

    private IEnumerable<int> Running() => Enumerable.Range(0, _metrics.Count).Where(i => _phase[i] == AnalysisOutcomes.Running && (_decisive.Count == 0 || _decisive.Any(d => _phase[d] == AnalysisOutcomes.Running)));

    private AnalysisRunSummary Summary(string phase, string? message, DateTimeOffset started, DateTimeOffset? finished) =>
        new(Name, phase, message, started, finished, _metrics.Select((m, i) => new MetricSummary(m.Name, _phase[i], m.DryRun, _tally[i].Count, _tally[i].Successful, _tally[i].Failed, _tally[i].Inconclusive, _tally[i].Error, _why[i])).ToList());
}
