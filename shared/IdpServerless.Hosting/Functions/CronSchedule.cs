using NCrontab;

namespace IdpServerless.Hosting.Functions;

/// <summary>
/// A timer function's NCRONTAB schedule, parsed by NCrontab.Signed, the library the Functions host's timer trigger
/// uses, with the host's rule: six fields <c>{second} {minute} {hour} {day} {month} {day-of-week}</c>, or five without
/// the seconds. Times are UTC.
/// </summary>
public sealed class CronSchedule
{
    private static readonly DateTime Horizon = new(9999, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly CrontabSchedule _schedule;

    private CronSchedule(string expression, CrontabSchedule schedule)
    {
        Expression = expression;
        _schedule = schedule;
    }

    /// <summary>The expression as written.</summary>
    public string Expression { get; }

    /// <summary>Parses <paramref name="expression"/>; throws <see cref="FormatException"/> with NCrontab's reason (it names the field).</summary>
    public static CronSchedule Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            throw new FormatException($"NCRONTAB '{expression}' must have 6 fields (second minute hour day month day-of-week) or 5 (without seconds), found {fields}.");
        }

        try
        {
            return new CronSchedule(expression, CrontabSchedule.Parse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = fields == 6 }));
        }
        catch (CrontabException e)
        {
            throw new FormatException($"NCRONTAB '{expression}': {e.Message}", e);
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, or null if there is none.</summary>
    public DateTimeOffset? GetNextOccurrence(DateTimeOffset after)
    {
        var start = after.UtcDateTime;
        var next = _schedule.GetNextOccurrence(start, Horizon);
        return next >= Horizon ? null : new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc));
    }
}
