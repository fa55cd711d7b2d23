using Cronos;

namespace IdpServerless.Functions.Deployments.Promotion;

/// <summary>A freeze in force: until when, and why.</summary>
public sealed record ActiveFreeze(DateTimeOffset Until, string Reason);

/// <summary>
/// Whether a stage is frozen at a time. Pure (no clock, no I/O), so the promotion orchestrator may call it with its
/// replay-safe time. Windows that overlap or follow each other without a gap count as one freeze.
/// </summary>
public static class FreezeCalendar
{
    public static ActiveFreeze? ActiveAt(IReadOnlyList<FreezeWindow> windows, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ActiveFreeze? found = null;
        var t = at;
        // Bounded: each round moves t to a later end; a chain of more than 50 windows is not worth following further.
        for (var round = 0; round < 50; round++)
        {
            (FreezeWindow Window, DateTimeOffset End)? next = null;
            foreach (var w in windows)
            {
                if (EndIfActive(w, t) is { } e && (next is null || e > next.Value.End))
                {
                    next = (w, e);
                }
            }

            if (next is not { } n || n.End <= t)
            {
                break;
            }

            found = new ActiveFreeze(n.End, found?.Reason ?? n.Window.Reason ?? "freeze window");
            t = n.End;
        }

        return found;
    }

    /// <summary>The end of <paramref name="window"/> when it is in force at <paramref name="at"/>, else null.</summary>
    public static DateTimeOffset? EndIfActive(FreezeWindow window, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (window is { Start: { } start, End: { } end })
        {
            return at >= start && at < end ? end : null;
        }

        if (window is not { Cron: { } cron, Duration: { } duration } || duration <= TimeSpan.Zero)
        {
            return null;
        }

        var zone = Zone(window.TimeZone);
        var last = CronExpression.Parse(cron).GetOccurrences(at - duration, at, zone, fromInclusive: false, toInclusive: true).LastOrDefault();
        return last != default && at < last + duration ? last + duration : null;
    }

    public static TimeZoneInfo Zone(string? id) => string.IsNullOrEmpty(id) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(id);
}
