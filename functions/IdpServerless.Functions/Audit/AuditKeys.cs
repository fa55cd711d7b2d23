using System.Globalization;

namespace IdpServerless.Functions.Audit;

/// <summary>
/// Table layout of the audit log (<c>auditlog</c>): one partition per UTC day and one row per record, both keyed
/// inverted so a plain query returns newest first; row <c>head</c> of each day holds the last sequence number and hash
/// (the ETag-guarded point every append goes through); partition <c>index</c> lists the days.
/// </summary>
public static class AuditKeys
{
    public const string TableName = "auditlog";
    public const string HeadRow = "head";
    public const string IndexPartition = "index";

    /// <summary>Every day partition sorts in <c>[DayPartitionsFrom, DayPartitionsTo)</c>.</summary>
    public const string DayPartitionsFrom = "d";
    public const string DayPartitionsTo = "e";

    /// <summary>Record rows sort below this (their keys are digits; <c>head</c> is above).</summary>
    public const string RecordRowsBelow = "a";

    private const long MaxSeq = 9_999_999_999;

    public static string DayPartition(string day) =>
        "d" + (99_999_999 - int.Parse(day, CultureInfo.InvariantCulture)).ToString("D8", CultureInfo.InvariantCulture);

    public static string DayOfPartition(string partition) =>
        (99_999_999 - int.Parse(partition.AsSpan(1), CultureInfo.InvariantCulture)).ToString("D8", CultureInfo.InvariantCulture);

    public static string RecordRow(long seq) => (MaxSeq - seq).ToString("D10", CultureInfo.InvariantCulture);

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string Id(string day, long seq) => day + "-" + seq.ToString(CultureInfo.InvariantCulture);

    public static string FormatTime(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses <c>yyyyMMdd-seq</c>.</summary>
    public static bool TryParseId(string id, out string day, out long seq)
    {
        day = string.Empty;
        seq = 0;
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        if (dash != 8 || !DateTime.TryParseExact(id[..8], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) ||
            !long.TryParse(id.AsSpan(9), NumberStyles.None, CultureInfo.InvariantCulture, out seq) || seq < 1)
        {
            return false;
        }

        day = id[..8];
        return true;
    }
}
