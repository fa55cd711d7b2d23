using IdpServerless.Hosting.Functions;
using Microsoft.Azure.Functions.Worker;

namespace IdpServerless.Functions.Insights.Scorecards;

/// <summary>
/// Hourly (at minute 7), records every scorecard's summary for the organisation and each team, and every entity whose
/// result changed, in the history tables (<see cref="ScorecardHistoryStore"/>): the trends the API and browser app show.
/// The timer trigger runs it on one instance; a repeated run within the hour replaces that hour's rows.
/// </summary>
public sealed partial class ScorecardSnapshotFunction(FunctionInvoker invoker, ScorecardService scorecards, ScorecardHistoryStore history, TimeProvider time, ILogger<ScorecardSnapshotFunction> logger) : ITimerHandler
{
    public const string FunctionName = "ScorecardSnapshot";
    public const string Schedule = "0 7 * * * *";

    /// <summary>The timer-triggered function (the host's timer trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    public Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        invoker.RunTimerAsync(FunctionName, timer, this, cancellationToken);

    public async Task HandleAsync(TimerContext timer, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var snapshot = await scorecards.SnapshotAsync(cancellationToken);
        var written = await history.RecordAsync(snapshot, started, cancellationToken);
        LogRecorded(logger, snapshot.Count, written, (time.GetUtcNow() - started).TotalMilliseconds);
    }

    [LoggerMessage(EventId = 7401, Level = LogLevel.Information, Message = "Recorded {Scorecards} scorecards' history ({Changed} entity results changed) in {Ms:F0} ms")]
    private static partial void LogRecorded(ILogger logger, int scorecards, int changed, double ms);
}
