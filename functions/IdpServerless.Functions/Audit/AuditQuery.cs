using System.Text;
using IdpServerless.Functions.Identity;
using IdpServerless.Hosting.Problems;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Audit;

/// <summary>Filters of <c>GET /api/audit</c> and the export.</summary>
public sealed record AuditFilter(string? Actor, string? Target, string? Action, DateTimeOffset? From, DateTimeOffset? To)
{
    /// <summary>Parses and validates the query string (422 naming the field on a bad value).</summary>
    public static AuditFilter Parse(HttpRequest request)
    {
        var q = request.Query;
        var errors = new Dictionary<string, string[]>();
        DateTimeOffset? Time(string name)
        {
            var v = q[name].ToString();
            if (v.Length == 0)
            {
                return null;
            }

            if (DateTimeOffset.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t))
            {
                return t.ToUniversalTime();
            }

            errors[name] = ["must be an ISO 8601 date or time, e.g. 2026-11-21 or 2026-11-21T10:00:00Z"];
            return null;
        }

        var from = Time("from");
        var to = Time("to");
        if (from is not null && to is not null && from > to)
        {
            errors["from"] = ["must not be after 'to'"];
        }

        if (errors.Count > 0)
        {
            throw ProblemException.Validation(errors);
        }

        static string? Text(string v) => v.Length == 0 ? null : v;
        var actor = Text(q["actor"].ToString());
        var target = Text(q["target"].ToString());
        return new AuditFilter(
            actor is null ? null : EntityRefs.TryNormalize(actor, "user") ?? actor,
            target is null ? null : EntityRefs.TryNormalize(target) ?? target.ToLowerInvariant(),
            Text(q["action"].ToString()),
            from,
            to);
    }

    /// <summary>The table filter: the day partitions of the range, record rows only, then the field filters.</summary>
    public string ToTableFilter() => TableFilter.And(
        TableFilter.Ge("PartitionKey", To is { } to ? AuditKeys.DayPartition(AuditKeys.Day(to)) : AuditKeys.DayPartitionsFrom),
        From is { } from ? TableFilter.Le("PartitionKey", AuditKeys.DayPartition(AuditKeys.Day(from))) : TableFilter.Lt("PartitionKey", AuditKeys.DayPartitionsTo),
        TableFilter.Lt("RowKey", AuditKeys.RecordRowsBelow),
        Actor is null ? null : TableFilter.Eq("Actor", Actor),
        Target is null ? null : TableFilter.Eq("Target", Target),
        Action is null ? null : TableFilter.Eq("Action", Action),
        From is null ? null : TableFilter.Ge("At", From.Value),
        To is null ? null : TableFilter.Compare("At", "le", TableFilter.Literal(To.Value)));
}

/// <summary>Reads the audit log newest first, a page at a time, with an opaque cursor.</summary>
public sealed class AuditReader(AuditChainStore store)
{
    private const int MaxRoundTrips = 20;

    public async Task<(IReadOnlyList<AuditRecord> Items, string? NextCursor)> PageAsync(AuditFilter filter, int limit, string? cursor, CancellationToken ct)
    {
        await store.ReadyAsync(ct).ConfigureAwait(false);
        var continuation = cursor is null ? null : DecodeCursor(cursor);
        var items = new List<AuditRecord>(limit);
        var text = filter.ToTableFilter();
        for (var trip = 0; trip < MaxRoundTrips && items.Count < limit; trip++)
        {
            var page = await store.Table.QueryPageAsync(text, top: limit - items.Count, continuation: continuation, ct: ct).ConfigureAwait(false);
            items.AddRange(page.Items.Select(AuditRecord.FromEntity));
            continuation = page.Continuation;
            if (continuation is null)
            {
                break;
            }
        }

        return (items, continuation is null ? null : EncodeCursor(continuation));
    }

    /// <summary>Every matching record, newest first, streamed page by page.</summary>
    public async IAsyncEnumerable<AuditRecord> AllAsync(AuditFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await store.ReadyAsync(ct).ConfigureAwait(false);
        await foreach (var e in store.Table.QueryAsync(filter.ToTableFilter(), maxPerPage: 1000, ct: ct).ConfigureAwait(false))
        {
            yield return AuditRecord.FromEntity(e);
        }
    }

    private static string EncodeCursor(TableContinuation c) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.NextPartitionKey}\n{c.NextRowKey}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static TableContinuation DecodeCursor(string cursor)
    {
        try
        {
            var b64 = cursor.Replace('-', '+').Replace('_', '/');
            b64 += new string('=', (4 - (b64.Length % 4)) % 4);
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(b64)).Split('\n');
            if (parts.Length == 2 && parts[0].Length > 0)
            {
                return new TableContinuation(parts[0], parts[1].Length == 0 ? null : parts[1]);
            }
        }
        catch (FormatException)
        {
        }

        throw ProblemException.Validation("cursor", "is not a cursor this API returned");
    }
}
