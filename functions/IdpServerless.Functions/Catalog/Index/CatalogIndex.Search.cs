namespace IdpServerless.Functions.Catalog.Index;

/// <summary>Full-text search: scores of the matching entities and pages of them ranked by score.</summary>
public sealed partial class CatalogIndex
{
    /// <summary>Full-text scores of the selected entities (term words in the search fields; unknown fields match as substrings).</summary>
    private Dictionary<int, float>? Search(string term, IReadOnlyList<string>? fields, ulong[]? bits)
    {
        ushort allowed = ushort.MaxValue;
        var substringKeys = new List<string>();
        if (fields is { Count: > 0 })
        {
            allowed = 0;
            foreach (var field in fields)
            {
                if (FullTextIndex.FieldOf(field) is { } f)
                {
                    allowed |= (ushort)(1 << (int)f);
                }
                else
                {
                    substringKeys.Add(field);
                }
            }
        }

        var scores = allowed == 0 ? [] : _text.Search(term, allowed, _slots.Length, slot => _slots[slot]!.SearchName);
        if (scores is null)
        {
            return null;
        }

        var needle = term.Trim().ToLowerInvariant();
        foreach (var key in substringKeys)
        {
            if (_keys.TryGetValue(key, out var postings))
            {
                foreach (var (value, posting) in postings.Values)
                {
                    if (value.Contains(needle, StringComparison.Ordinal))
                    {
                        posting.Slots.ForEach(scores, static (slot, s) => s.TryAdd(slot, 1f));
                    }
                }
            }
        }

        if (bits is not null)
        {
            // Removing while enumerating is allowed for Dictionary (and a copy of 25,000 keys would be LOH garbage).
            foreach (var slot in scores.Keys)
            {
                if ((bits[slot >> 6] & (1UL << slot)) == 0)
                {
                    scores.Remove(slot);
                }
            }
        }

        return scores;
    }

    /// <summary>
    /// A page of search results by score (then ref), without sorting them all: one pass keeps the best
    /// <c>offset + limit + 1</c> after (or before) the cursor.
    /// </summary>
    private QueryPage RankedPage(Dictionary<int, float> scores, int limit, int offset, CursorKey? cursor, bool backwards)
    {
        // Order: higher score first, then ref. Forward keeps the best; backwards keeps the worst before the cursor.
        static int Compare(float scoreA, string refA, float scoreB, string refB)
        {
            var c = scoreB.CompareTo(scoreA);
            return c != 0 ? c : string.CompareOrdinal(refA, refB);
        }

        var keep = backwards ? limit + 1 : offset + limit + 1;
        var buffer = new List<(int Slot, float Score, string Ref)>(Math.Min(keep, 1024));
        var candidates = 0;
        var slots = _slots;
        foreach (var (slot, score) in scores)
        {
            var refKey = slots[slot]!.RefKey;
            if (cursor is not null)
            {
                var toKey = Compare(score, refKey, cursor.Score, cursor.RefKey);
                if (backwards ? toKey >= 0 : toKey <= 0)
                {
                    continue;
                }
            }

            candidates++;
            if (buffer.Count == keep)
            {
                var worst = buffer[^1];
                var vsWorst = Compare(score, refKey, worst.Score, worst.Ref);
                if (backwards ? vsWorst <= 0 : vsWorst >= 0)
                {
                    continue;
                }
            }

            var lo = 0;
            var hi = buffer.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                var c = Compare(buffer[mid].Score, buffer[mid].Ref, score, refKey);
                if (backwards ? c > 0 : c < 0)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            buffer.Insert(lo, (slot, score, refKey));
            if (buffer.Count > keep)
            {
                buffer.RemoveAt(buffer.Count - 1);
            }
        }

        List<(int Slot, float Score, string Ref)> page;
        bool hasNext, hasPrev;
        if (backwards)
        {
            page = buffer.Take(limit).Reverse().ToList();
            hasPrev = candidates > limit;
            hasNext = scores.Count > candidates;
        }
        else
        {
            page = buffer.Skip(offset).Take(limit).ToList();
            hasNext = candidates > offset + limit;
            hasPrev = cursor is not null && scores.Count > candidates;
        }

        return new QueryPage(page.Select(p => slots[p.Slot]!).ToList(), scores.Count,
            hasNext && page.Count > 0 ? new CursorKey([], page[^1].Ref, page[^1].Score) : null,
            hasPrev && page.Count > 0 ? new CursorKey([], page[0].Ref, page[0].Score) : null);
    }
}
