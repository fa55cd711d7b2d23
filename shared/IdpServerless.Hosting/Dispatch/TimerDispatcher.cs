using IdpServerless.Hosting.Functions;
using IdpServerless.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdpServerless.Hosting.Dispatch;

/// <summary>
/// Standalone mode's timer trigger: it calls the same <c>[Function]</c> method the host's timer trigger calls, with a
/// <c>TimerInfo</c> as the host fills it (<c>IsPastDue</c> when an occurrence runs more than 30 s late, the schedule's
/// last and next occurrences), and <c>RunOnStartup</c> honoured. Each occurrence runs on one instance only: the instance that inserts the
/// occurrence's row in the <c>timerclaims</c> table runs it (an insert is atomic), so several app instances never run
/// the same occurrence twice — the job the host does with a blob lease.
/// </summary>
public sealed partial class TimerDispatcher(
    FunctionRegistry registry,
    IServiceScopeFactory scopes,
    StorageClient storage,
    TimeProvider time,
    IOptions<DispatchOptions> options,
    ILogger<TimerDispatcher> logger) : BackgroundService
{
    /// <summary>The claims table.</summary>
    public const string ClaimsTable = "timerclaims";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled || registry.TimerFunctions.Count == 0)
        {
            return;
        }

        var claims = storage.GetTable(ClaimsTable);
        await RetryUntilAsync(() => claims.CreateIfNotExistsAsync(stoppingToken), stoppingToken).ConfigureAwait(false);
        await Task.WhenAll(registry.TimerFunctions.Select(f => Task.Run(() => RunAsync(f, claims, stoppingToken), stoppingToken))).ConfigureAwait(false);
    }

    private async Task RunAsync(TimerFunction function, TableClient claims, CancellationToken stop)
    {
        var schedule = CronSchedule.Parse(function.Schedule);
        if (function.RunOnStartup)
        {
            try
            {
                await InvokeAsync(function, null, schedule.GetNextOccurrence(time.GetUtcNow()), false, stop).ConfigureAwait(false);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                LogOccurrenceFailed(logger, function.Name, e.GetType().Name + ": " + e.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        var last = time.GetUtcNow();
        DateTimeOffset? previous = null;
        while (!stop.IsCancellationRequested)
        {
            var next = schedule.GetNextOccurrence(last);
            if (next is null)
            {
                LogNoOccurrence(logger, function.Name, function.Schedule);
                return;
            }

            var wait = next.Value - time.GetUtcNow();
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            last = next.Value;
            var pastDue = time.GetUtcNow() - next.Value > TimeSpan.FromSeconds(30);
            try
            {
                if (await TryClaimAsync(claims, function.Name, next.Value, stop).ConfigureAwait(false))
                {
                    var ran = previous;
                    previous = next.Value;
                    await InvokeAsync(function, ran, schedule.GetNextOccurrence(next.Value), pastDue, stop).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // One failed occurrence must not end the schedule, nor (through the hosted service) the host.
                LogOccurrenceFailed(logger, function.Name, e.GetType().Name + ": " + e.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // As the host fills it: Last is the previous occurrence this instance ran (none yet: MinValue), Next the one after this.
    private async Task InvokeAsync(TimerFunction function, DateTimeOffset? previous, DateTimeOffset? next, bool pastDue, CancellationToken stop)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var timer = new TimerInfo
        {
            IsPastDue = pastDue,
            ScheduleStatus = new ScheduleStatus { Last = previous?.UtcDateTime ?? DateTime.MinValue, Next = next?.UtcDateTime ?? DateTime.MaxValue, LastUpdated = now },
        };
        await using var scope = scopes.CreateAsyncScope();
        await FunctionMethods.InvokeAsync(function.Method, scope.ServiceProvider, timer, stop).ConfigureAwait(false);
    }

    private async Task<bool> TryClaimAsync(TableClient claims, string function, DateTimeOffset occurrence, CancellationToken stop)
    {
        var row = new TableEntity(function, occurrence.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture))
        {
            ["ClaimedBy"] = Environment.MachineName + ":" + Environment.ProcessId,
            ["Occurrence"] = occurrence,
        };
        try
        {
            await claims.AddEntityAsync(row, stop).ConfigureAwait(false);
            return true;
        }
        catch (StorageConflictException)
        {
            return false;
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            // Storage down or slow (a client timeout surfaces as a cancellation of its own): skip this occurrence.
            LogClaimFailed(logger, function, e.GetType().Name + ": " + e.Message);
            return false;
        }
    }

    private static async Task RetryUntilAsync(Func<Task> action, CancellationToken stop)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                await action().ConfigureAwait(false);
                return;
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                await Task.Delay(delay, stop).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Timer {Function} with schedule '{Schedule}' has no next occurrence.")]
    private static partial void LogNoOccurrence(ILogger logger, string function, string schedule);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Error, Message = "Timer {Function} failed this occurrence; the schedule goes on: {Error}")]
    private static partial void LogOccurrenceFailed(ILogger logger, string function, string error);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Timer {Function} could not claim its occurrence: {Error}")]
    private static partial void LogClaimFailed(ILogger logger, string function, string error);
}
