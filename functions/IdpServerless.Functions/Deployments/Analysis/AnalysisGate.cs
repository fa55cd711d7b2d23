using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Orchestrations;

namespace IdpServerless.Functions.Deployments.Analysis;

/// <summary>
/// What a release does with an analysis' end: Successful goes on; Inconclusive pauses for a human (promote or resume
/// go on, abort rolls back); Failed or Error roll back, or with the environment's <c>failureAction: pause</c> hold the
/// release where it is, Paused (resume re-runs the analysis, promote goes on, abort rolls back).
/// </summary>
public static class AnalysisGate
{
    /// <summary>The same answer as the earlier canary loop: the release, the control outcome, and a failure to roll back for (null when none).</summary>
    public static async Task<(ReleaseState Release, ControlOutcome Outcome, string? Failure)> RunAsync(ReleaseRun run, ReleaseState release, AnalysisStep analysis, string window, string name)
    {
        var pauseOnFailure = run.Plan.Environment.FailureAction == FailureActions.Pause;
        while (true)
        {
            var end = await AnalysisRunner.RunAsync(run, release, analysis, window, name);
            release = end.Release;
            if (end.Control != ControlOutcome.Continue)
            {
                return (release, end.Control == ControlOutcome.Promote ? ControlOutcome.Continue : end.Control, null);
            }

            switch (end.Phase)
            {
                case AnalysisOutcomes.Successful:
                    return (release, ControlOutcome.Continue, null);
                case AnalysisOutcomes.Inconclusive:
                    var decided = await run.WaitWithControlsAsync(null, $"{end.Message}: promote or resume to go on, abort to roll back");
                    return (release, decided == ControlOutcome.Promote ? ControlOutcome.Continue : decided, null);
                case var _ when !pauseOnFailure:
                    return (release, ControlOutcome.Abort, end.Message);
            }

            // failureAction: pause: the release stays where the analysis left it, Paused, until a human decides.
            var outcome = await run.WaitWithControlsAsync(null, $"{end.Message} (failureAction pause: resume re-runs the analysis, promote goes on, abort rolls back)");
            if (outcome != ControlOutcome.Continue)
            {
                return (release, outcome == ControlOutcome.Promote ? ControlOutcome.Continue : outcome, null);
            }
        }
    }
}
