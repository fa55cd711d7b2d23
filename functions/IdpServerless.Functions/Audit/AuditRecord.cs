using System.Globalization;
using System.Text;
using System.Text.Json;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Audit;

/// <summary>An audit event as recorded: its place in the chain (<see cref="Day"/>, <see cref="Seq"/>) and its hashes.</summary>
public sealed record AuditRecord(
    string Day,
    long Seq,
    DateTimeOffset At,
    string Actor,
    string Channel,
    string Action,
    string Target,
    string Outcome,
    string CorrelationId,
    string SourceIp,
    string Detail,
    string PrevRef,
    string PrevHash,
    string Hash)
{
    /// <summary>Public id: <c>yyyyMMdd-seq</c>.</summary>
    public string Id => AuditKeys.Id(Day, Seq);

    /// <summary>The exact text the hash covers: every field, framed as a JSON array so no two records share it.</summary>
    public string Canonical() => JsonSerializer.Serialize(new[]
    {
        "v1", Day, Seq.ToString(CultureInfo.InvariantCulture), AuditKeys.FormatTime(At), Actor, Channel, Action, Target,
        Outcome, CorrelationId, SourceIp, Detail, PrevRef, PrevHash,
    });

    /// <summary>The detail as people read it: <c>key=value; key=value</c>.</summary>
    public string? DetailText()
    {
        if (Detail.Length == 0)
        {
            return null;
        }

        try
        {
            var map = JsonSerializer.Deserialize<SortedDictionary<string, string>>(Detail);
            return map is null || map.Count == 0 ? null : string.Join("; ", map.Select(kv => $"{kv.Key}={kv.Value}"));
        }
        catch (JsonException)
        {
            return Detail;
        }
    }

    public TableEntity ToEntity() => new(AuditKeys.DayPartition(Day), AuditKeys.RecordRow(Seq))
    {
        ["Day"] = Day,
        ["Seq"] = Seq,
        ["At"] = At,
        ["Actor"] = Actor,
        ["Channel"] = Channel,
        ["Action"] = Action,
        ["Target"] = Target,
        ["Outcome"] = Outcome,
        ["CorrelationId"] = CorrelationId,
        ["SourceIp"] = SourceIp,
        ["Detail"] = Detail,
        ["PrevRef"] = PrevRef,
        ["PrevHash"] = PrevHash,
        ["Hash"] = Hash,
    };

    /// <summary>Reads a stored row as it is now (possibly tampered with; the integrity check compares hashes).</summary>
    public static AuditRecord FromEntity(TableEntity e) => new(
        e.GetString("Day") ?? string.Empty,
        e.GetInt64("Seq") ?? -1,
        e.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue,
        e.GetString("Actor") ?? string.Empty,
        e.GetString("Channel") ?? string.Empty,
        e.GetString("Action") ?? string.Empty,
        e.GetString("Target") ?? string.Empty,
        e.GetString("Outcome") ?? string.Empty,
        e.GetString("CorrelationId") ?? string.Empty,
        e.GetString("SourceIp") ?? string.Empty,
        e.GetString("Detail") ?? string.Empty,
        e.GetString("PrevRef") ?? string.Empty,
        e.GetString("PrevHash") ?? string.Empty,
        e.GetString("Hash") ?? string.Empty);
}

/// <summary>An event waiting for its place in the chain: fields bounded and normalized, time fixed to milliseconds.</summary>
public sealed record AuditDraft(DateTimeOffset At, string Actor, string Channel, string Action, string Target, string Outcome, string CorrelationId, string SourceIp, string Detail)
{
    private const int MaxDetailEntries = 32;
    private const int MaxDetailValue = 1024;

    public string Day => At.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static AuditDraft From(AuditEvent e, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(e);
        var at = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        var detail = string.Empty;
        if (e.Detail is { Count: > 0 } d)
        {
            var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in d.Take(MaxDetailEntries))
            {
                sorted[Cut(k, 100)] = Cut(v ?? string.Empty, MaxDetailValue);
            }

            detail = JsonSerializer.Serialize(sorted);
        }

        return new AuditDraft(
            at,
            Cut(e.Caller.UserRef, 400),
            Cut(e.Caller.Channel, 40),
            Cut(e.Action, 200),
            Cut(e.Target ?? string.Empty, 400),
            Cut(e.Outcome, 40),
            Cut(e.CorrelationId ?? string.Empty, 100),
            Cut(e.SourceAddress ?? string.Empty, 64),
            detail);
    }

    public AuditRecord Seal(long seq, string prevRef, string prevHash, AuditHasher hasher)
    {
        var unsealed = new AuditRecord(Day, seq, At, Actor, Channel, Action, Target, Outcome, CorrelationId, SourceIp, Detail, prevRef, prevHash, string.Empty);
        return unsealed with { Hash = hasher.Hash(unsealed.Canonical()) };
    }

    public int ApproximateBytes => Encoding.UTF8.GetByteCount(Detail) + Actor.Length + Action.Length + Target.Length + 512;

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..max];
}
