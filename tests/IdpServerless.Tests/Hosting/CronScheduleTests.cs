using IdpServerless.Hosting.Functions;

namespace IdpServerless.Tests.Hosting;

/// <summary>The schedules timer functions declare, as NCrontab (the Functions host's library) reads them.</summary>
public class CronScheduleTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 21, 10, 17, 42, TimeSpan.Zero);

    [Theory]
    [InlineData("0 */5 * * * *", "2026-11-21T10:20:00Z")]
    [InlineData("*/15 * * * * *", "2026-11-21T10:17:45Z")]
    [InlineData("0 0 * * * *", "2026-11-21T11:00:00Z")]
    [InlineData("0 30 9 * * *", "2026-11-22T09:30:00Z")]
    [InlineData("0 0 9 * * MON-FRI", "2026-11-23T09:00:00Z")] // the 21st is a Saturday
    [InlineData("0 0 0 1 JAN *", "2027-01-01T00:00:00Z")]
    [InlineData("0 0 12 * * 0", "2026-11-22T12:00:00Z")]
    // The host's library reads these two leniently, and so do we (a schedule Azure accepts must run the same here).
    [InlineData("0 */0 * * * *", "2026-11-21T10:18:00Z")]
    [InlineData("0 30-10 * * * *", "2026-11-21T10:18:00Z")]
    [InlineData("5,10 18 10 * * *", "2026-11-21T10:18:05Z")]
    [InlineData("0 0 0 29 2 *", "2028-02-29T00:00:00Z")]
    [InlineData("*/5 * * * *", "2026-11-21T10:20:00Z")] // five fields: second 0
    public void Next_occurrence_follows_the_schedule(string expression, string expected)
    {
        var next = CronSchedule.Parse(expression).GetNextOccurrence(Start);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), next);
    }

    [Fact]
    public void Next_occurrence_is_strictly_after_the_given_time()
    {
        var exact = new DateTimeOffset(2026, 11, 21, 10, 20, 0, TimeSpan.Zero);
        Assert.Equal(exact.AddMinutes(5), CronSchedule.Parse("0 */5 * * * *").GetNextOccurrence(exact));
    }

    [Theory]
    [InlineData("* * * *", "6 fields")]
    [InlineData("61 * * * * *", "second")]
    [InlineData("0 0 25 * * *", "hour")]
    [InlineData("0 0 0 0 * *", "day")]
    [InlineData("0 0 0 * 13 *", "month")]
    [InlineData("0 0 0 * * FUNDAY", "DayOfWeek")]
    [InlineData("0 0 12 * * 7", "DayOfWeek")] // Sunday is 0 only, as the host reads it
    [InlineData("0 0 32 * *", "Day")] // five fields: minute hour day month day-of-week
    public void Bad_expressions_are_refused_naming_the_field(string expression, string mention)
    {
        var e = Assert.Throws<FormatException>(() => CronSchedule.Parse(expression));
        Assert.Contains(mention, e.Message, StringComparison.OrdinalIgnoreCase);
    }
}
