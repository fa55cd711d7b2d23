using IdpServerless.Storage;

namespace IdpServerless.Functions.Audit;

/// <summary>One place where the chain is broken.</summary>
/// <param name="Kind"><c>edited</c> (a record's content no longer matches its hash, or its hash no longer matches the link its
/// successor holds: rewritten with a recomputed hash), <c>deleted</c> (records missing from the chain), <c>head</c> (a day's head
/// row was altered or removed).</param>
public sealed record IntegrityProblem(string Kind, string Id, string Day, long Seq, string PartitionKey, string RowKey, string Detail);

public sealed record IntegrityReport(string? From, string? To, int CheckedDays, long CheckedRecords, bool Intact, IReadOnlyList<IntegrityProblem> Problems);

/// <summary>
/// Walks each day of the range oldest first and recomputes the chain: every record's hash from its content and its
/// predecessor's hash, sequence gaps (deleted records), the head row (records deleted at the end of a day) and the link of
/// each day's first record to the day before (whole days deleted).
/// </summary>
public sealed class AuditIntegrity(AuditChainStore store)
{
    public async Task<IntegrityReport> CheckAsync(DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var hasher = await store.ReadyAsync(ct).ConfigureAwait(false);
        var fromDay = from is { } f ? AuditKeys.Day(f) : null;
        var toDay = to is { } t ? AuditKeys.Day(t) : null;
        bool InRange(string day) => (fromDay is null || string.CompareOrdinal(day, fromDay) >= 0) && (toDay is null || string.CompareOrdinal(day, toDay) <= 0);

        // Days come from the index and from the head rows themselves, so removing either alone hides nothing.
        var days = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var i in store.Table.QueryAsync(TableFilter.Eq("PartitionKey", AuditKeys.IndexPartition), ct: ct).ConfigureAwait(false))
        {
            days.Add(AuditKeys.DayOfPartition(i.RowKey));
        }

        var headFilter = TableFilter.And(
            TableFilter.Ge("PartitionKey", AuditKeys.DayPartitionsFrom), TableFilter.Lt("PartitionKey", AuditKeys.DayPartitionsTo), TableFilter.Eq("RowKey", AuditKeys.HeadRow));
        await foreach (var h in store.Table.QueryAsync(headFilter, ct: ct).ConfigureAwait(false))
        {
            days.Add(AuditKeys.DayOfPartition(h.PartitionKey));
        }

        var problems = new List<IntegrityProblem>();
        long checkedRecords = 0;
        var checkedDays = 0;
        foreach (var day in days.Where(InRange))
        {
            checkedDays++;
            var pk = AuditKeys.DayPartition(day);
            TableEntity? head = null;
            var records = new SortedDictionary<long, (AuditRecord Record, string RowKey)>();
            await foreach (var e in store.Table.QueryAsync(TableFilter.Eq("PartitionKey", pk), ct: ct).ConfigureAwait(false))
            {
                if (e.RowKey == AuditKeys.HeadRow)
                {
                    head = e;
                    continue;
                }

                var r = AuditRecord.FromEntity(e);
                records[r.Seq > 0 && AuditKeys.RecordRow(r.Seq) == e.RowKey ? r.Seq : SeqOfRow(e.RowKey)] = (r, e.RowKey);
            }

            checkedRecords += records.Count;
            if (records.Count == 0 && head is null)
            {
                problems.Add(new("deleted", day, day, 0, pk, string.Empty, "The index lists this day but none of its records or its head row exist."));
                continue;
            }

            long expected = 1;
            AuditRecord? previous = null;
            var previousRow = string.Empty;
            foreach (var (seq, (record, rowKey)) in records)
            {
                if (seq > expected)
                {
                    problems.Add(Missing(day, pk, expected, seq - 1));
                }

                if (record.Seq != seq || record.Day != day || hasher.Hash(record.Canonical()) != record.Hash)
                {
                    problems.Add(new("edited", AuditKeys.Id(day, seq), day, seq, pk, rowKey, "The record's content does not match its hash: it was changed after it was written."));
                }
                else if (seq == 1)
                {
                    if (await CheckLinkAsync(record, ct).ConfigureAwait(false) is { } link)
                    {
                        problems.Add(link);
                    }
                }
                else if (previous is not null && previous.Seq == seq - 1 && previous.Hash != record.PrevHash)
                {
                    problems.Add(new("edited", previous.Id, day, previous.Seq, pk, previousRow, $"Its hash no longer matches the link held by {record.Id}: it was rewritten and its hash recomputed."));
                }

                previous = record;
                previousRow = rowKey;
                expected = seq + 1;
            }

            var headSeq = head?.GetInt64("Seq") ?? 0;
            if (head is null)
            {
                problems.Add(new("head", day, day, 0, pk, AuditKeys.HeadRow, "The day's head row is missing: records removed from the end of the day could go unnoticed."));
            }
            else if (head.GetString("Seal") != hasher.HeadSeal(day, headSeq, head.GetString("Hash") ?? string.Empty))
            {
                problems.Add(new("head", day, day, headSeq, pk, AuditKeys.HeadRow, "The day's head row was altered."));
            }
            else if (headSeq > expected - 1)
            {
                problems.Add(Missing(day, pk, expected, headSeq));
            }
            else if (previous is not null && previous.Seq == headSeq && head.GetString("Hash") != previous.Hash)
            {
                problems.Add(new("edited", previous.Id, day, previous.Seq, pk, previousRow, "Its hash no longer matches the one its day's head row holds: it was rewritten and its hash recomputed."));
            }
        }

        var distinct = problems.DistinctBy(p => (p.Kind, p.Id)).ToArray();
        return new IntegrityReport(fromDay, toDay, checkedDays, checkedRecords, distinct.Length == 0, distinct);
    }

    /// <summary>The first record of a day links to the last record of an earlier day; a problem when that one is gone or changed.</summary>
    private async Task<IntegrityProblem?> CheckLinkAsync(AuditRecord first, CancellationToken ct)
    {
        var pk = AuditKeys.DayPartition(first.Day);
        if (first.PrevRef.Length == 0)
        {
            return first.PrevHash.Length == 0 ? null : new("edited", first.Id, first.Day, 1, pk, AuditKeys.RecordRow(1), "It claims a predecessor hash but no predecessor.");
        }

        if (!AuditKeys.TryParseId(first.PrevRef, out var day, out var seq))
        {
            return new("edited", first.Id, first.Day, 1, pk, AuditKeys.RecordRow(1), $"Its link '{first.PrevRef}' is not a record id.");
        }

        var linkedPk = AuditKeys.DayPartition(day);
        var linked = await store.Table.GetEntityAsync(linkedPk, AuditKeys.RecordRow(seq), ct: ct).ConfigureAwait(false);
        if (linked is null)
        {
            return new("deleted", first.PrevRef, day, seq, linkedPk, AuditKeys.RecordRow(seq), $"The record {first.Id} links to is missing.");
        }

        return linked.GetString("Hash") == first.PrevHash
            ? null
            : new("edited", first.PrevRef, day, seq, linkedPk, AuditKeys.RecordRow(seq), $"Its hash no longer matches the link held by {first.Id}: it was rewritten and its hash recomputed.");
    }

    private static IntegrityProblem Missing(string day, string pk, long firstSeq, long lastSeq) => new(
        "deleted",
        firstSeq == lastSeq ? AuditKeys.Id(day, firstSeq) : $"{AuditKeys.Id(day, firstSeq)}..{lastSeq}",
        day,
        firstSeq,
        pk,
        AuditKeys.RecordRow(firstSeq),
        firstSeq == lastSeq ? "This record is missing from the chain." : $"Records {firstSeq} to {lastSeq} are missing from the chain.");

    private static long SeqOfRow(string rowKey) =>
        long.TryParse(rowKey, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var inverted) ? 9_999_999_999 - inverted : -1;
}
