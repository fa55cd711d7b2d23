namespace IdpServerless.Hosting.Functions;

/// <summary>
/// An NCRONTAB expression as Azure Functions timer triggers use it: six fields
/// <c>{second} {minute} {hour} {day} {month} {day-of-week}</c> (a five-field expression gets second 0).
/// Supports <c>*</c>, values, ranges, lists, steps (<c>*/5</c>, <c>1-30/2</c>) and month and day names. Times are UTC.
/// </summary>
public sealed class NCrontab
{
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly bool[] _seconds, _minutes, _hours, _days, _months, _weekdays;
    private readonly bool _dayIsWildcard, _weekdayIsWildcard;

    private NCrontab(string expression, string[] f)
    {
        Expression = expression;
        _seconds = ParseField(f[0], 0, 59, null, "second");
        _minutes = ParseField(f[1], 0, 59, null, "minute");
        _hours = ParseField(f[2], 0, 23, null, "hour");
        _days = ParseField(f[3], 1, 31, null, "day");
        _months = ParseField(f[4], 1, 12, MonthNames, "month");
        _weekdays = ParseField(f[5], 0, 7, DayNames, "day-of-week");
        _weekdays[0] |= _weekdays[7]; // 7 is Sunday too
        _dayIsWildcard = f[3] is "*" or "?";
        _weekdayIsWildcard = f[5] is "*" or "?";
    }

    /// <summary>The expression as written.</summary>
    public string Expression { get; }

    /// <summary>Parses <paramref name="expression"/>; throws <see cref="FormatException"/> naming the bad field.</summary>
    public static NCrontab Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length switch
        {
            6 => new NCrontab(expression, fields),
            5 => new NCrontab(expression, ["0", .. fields]),
            _ => throw new FormatException($"NCRONTAB '{expression}' must have 6 fields (second minute hour day month day-of-week), found {fields.Length}."),
        };
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, or null if none within five years.</summary>
    public DateTimeOffset? GetNextOccurrence(DateTimeOffset after)
    {
        var t = after.ToUniversalTime();
        t = new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, TimeSpan.Zero).AddSeconds(1);
        var limit = t.AddYears(5);
        while (t < limit)
        {
            if (!_months[t.Month])
            {
                t = new DateTimeOffset(t.Year, t.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
                continue;
            }

            if (!DayMatches(t))
            {
                t = new DateTimeOffset(t.Year, t.Month, t.Day, 0, 0, 0, TimeSpan.Zero).AddDays(1);
                continue;
            }

            if (!_hours[t.Hour])
            {
                t = new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, 0, 0, TimeSpan.Zero).AddHours(1);
                continue;
            }

            if (!_minutes[t.Minute])
            {
                t = new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, t.Minute, 0, TimeSpan.Zero).AddMinutes(1);
                continue;
            }

            if (!_seconds[t.Second])
            {
                t = t.AddSeconds(1);
                continue;
            }

            return t;
        }

        return null;
    }

    private bool DayMatches(DateTimeOffset t)
    {
        var day = _days[t.Day];
        var weekday = _weekdays[(int)t.DayOfWeek];
        // Classic cron: when both day fields are restricted, either may match.
        if (!_dayIsWildcard && !_weekdayIsWildcard)
        {
            return day || weekday;
        }

        return day && weekday;
    }

    private static bool[] ParseField(string field, int min, int max, string[]? names, string what)
    {
        var set = new bool[max + 1];
        foreach (var part in field.Split(','))
        {
            var step = 1;
            var range = part;
            var slash = part.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                if (!int.TryParse(part[(slash + 1)..], out step) || step <= 0)
                {
                    throw new FormatException($"NCRONTAB {what} field '{field}': bad step in '{part}'.");
                }

                range = part[..slash];
            }

            int lo, hi;
            if (range is "*" or "?")
            {
                (lo, hi) = (min, max);
            }
            else if (range.Contains('-', StringComparison.Ordinal))
            {
                var bounds = range.Split('-');
                if (bounds.Length != 2)
                {
                    throw new FormatException($"NCRONTAB {what} field '{field}': bad range '{range}'.");
                }

                lo = Value(bounds[0], min, max, names, what, field);
                hi = Value(bounds[1], min, max, names, what, field);
                if (hi < lo)
                {
                    throw new FormatException($"NCRONTAB {what} field '{field}': range '{range}' runs backwards.");
                }
            }
            else
            {
                lo = Value(range, min, max, names, what, field);
                hi = slash >= 0 ? max : lo;
            }

            for (var v = lo; v <= hi; v += step)
            {
                set[v] = true;
            }
        }

        return set;
    }

    private static int Value(string text, int min, int max, string[]? names, string what, string field)
    {
        if (names is not null)
        {
            var i = Array.FindIndex(names, n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase) ||
                                                 (text.Length > 3 && text.StartsWith(n, StringComparison.OrdinalIgnoreCase)));
            if (i >= 0)
            {
                return names == MonthNames ? i + 1 : i;
            }
        }

        if (!int.TryParse(text, out var v) || v < min || v > max)
        {
            throw new FormatException($"NCRONTAB {what} field '{field}': '{text}' is not in {min}-{max}.");
        }

        return v;
    }
}
