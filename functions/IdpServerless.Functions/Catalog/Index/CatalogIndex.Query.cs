namespace IdpServerless.Functions.Catalog.Index;

/// <summary>Where a page starts or ends: the sort values and ref of an item (and its score for ranked results).</summary>
public sealed record CursorKey(string?[] Values, string RefKey, float Score = 0);

/// <summary>One page of a query: the items, the total matching, and the keys to continue from in each direction.</summary>
public sealed record QueryPage(IReadOnlyList<EntityRecord> Items, int TotalItems, CursorKey? Next, CursorKey? Prev);

public sealed partial class CatalogIndex
{
    private readonly Lock _orderLock = new();
    private readonly Dictionary<string, OrderCache> _orders = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="query"/>: filters and predicate select, the term filters (and ranks when no order is given),
    /// then the page of <paramref name="limit"/> items after (or, when <paramref name="backwards"/>, before) <paramref name="cursor"/>.
    /// </summary>
    public QueryPage Query(EntityQuery query, int limit, CursorKey? cursor = null, bool backwards = false, int offset = 0)
    {
        _lock.EnterReadLock();
        try
        {
            var bits = Select(query);
            var scores = query.Term is { Length: > 0 } term ? Search(term, query.TermFields, bits) : null;
            try
            {
                if (scores is not null && query.Order.Count == 0)
                {
                    return RankedPage(scores, limit, offset, cursor, backwards);
                }

                if (scores is not null)
                {
                    bits = new ulong[Words()];
                    foreach (var slot in scores.Keys)
                    {
                        bits[slot >> 6] |= 1UL << slot;
                    }
                }
            }
            finally
            {
                FullTextIndex.ReturnScores(scores);
            }

            var order = GetOrder(query.Order);
            var total = bits is null ? _byRef.Count : PopCount(bits);
            int[] sequence;
            Func<int, bool> member;
            if (bits is not null && total * 16L < order.Slots.Length)
            {
                // Few matches: sorting them beats scanning the whole order.
                var matches = new List<int>(total);
                ForEachBit(bits, matches.Add);
                matches.Sort((a, b) => order.Compare(a, b, _slots));
                sequence = matches.ToArray();
                member = _ => true;
            }
            else
            {
                sequence = order.Slots;
                var b = bits;
                member = b is null ? _ => true : slot => (b[slot >> 6] & (1UL << slot)) != 0;
            }

            return Page(sequence, member, total, limit, offset, cursor, backwards,
                (slot, key) => order.CompareToKey(slot, key, _slots), slot => order.KeyOf(slot, _slots));
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private QueryPage Page(int[] sequence, Func<int, bool> member, int total, int limit, int offset, CursorKey? cursor, bool backwards,
        Func<int, CursorKey, int> compare, Func<int, CursorKey> keyOf)
    {
        var items = new List<EntityRecord>(Math.Min(limit, 1024));
        bool hasNext, hasPrev;
        if (cursor is not null && backwards)
        {
            var end = Bound(sequence, cursor, compare, upper: false);
            var i = end - 1;
            for (; i >= 0 && items.Count < limit; i--)
            {
                if (member(sequence[i]))
                {
                    items.Add(_slots[sequence[i]]!);
                }
            }

            items.Reverse();
            hasPrev = AnyMember(sequence, member, i, -1);
            hasNext = AnyMember(sequence, member, end, 1);
        }
        else
        {
            var start = cursor is null ? 0 : Bound(sequence, cursor, compare, upper: true);
            var i = start;
            var skipped = 0;
            for (; i < sequence.Length && items.Count < limit; i++)
            {
                if (member(sequence[i]))
                {
                    if (skipped < offset)
                    {
                        skipped++;
                        continue;
                    }

                    items.Add(_slots[sequence[i]]!);
                }
            }

            hasNext = AnyMember(sequence, member, i, 1);
            hasPrev = cursor is not null && AnyMember(sequence, member, start - 1, -1);
        }

        return new QueryPage(items, total,
            hasNext && items.Count > 0 ? keyOf(items[^1].Slot) : null,
            hasPrev && items.Count > 0 ? keyOf(items[0].Slot) : null);
    }

    private static bool AnyMember(int[] sequence, Func<int, bool> member, int from, int step)
    {
        for (var i = from; i >= 0 && i < sequence.Length; i += step)
        {
            if (member(sequence[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>First index whose item sorts after (upper) or at-or-after (lower) the cursor key.</summary>
    private static int Bound(int[] sequence, CursorKey key, Func<int, CursorKey, int> compare, bool upper)
    {
        int lo = 0, hi = sequence.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = compare(sequence[mid], key);
            if (c < 0 || (upper && c == 0))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private OrderCache GetOrder(IReadOnlyList<OrderDirective> directives)
    {
        var spec = string.Join('|', directives.Select(d => (d.Descending ? "-" : "+") + d.Field));
        var version = Version;
        lock (_orderLock)
        {
            if (_orders.TryGetValue(spec, out var cached) && cached.Version == version)
            {
                return cached;
            }

            var built = OrderCache.Build(directives, _slots, _used, version);
            if (_orders.Count > 32)
            {
                _orders.Clear();
            }

            _orders[spec] = built;
            return built;
        }
    }

    /// <summary>Every live slot in one order, with each directive's sort value per slot (lowercased; null sorts last).</summary>
    private sealed class OrderCache
    {
        private OrderCache(long version, int[] slots, string?[][] values, bool[] descending)
        {
            Version = version;
            Slots = slots;
            Values = values;
            Descending = descending;
        }

        public long Version { get; }

        public int[] Slots { get; }

        private string?[][] Values { get; }

        private bool[] Descending { get; }

        public static OrderCache Build(IReadOnlyList<OrderDirective> directives, EntityRecord?[] records, int used, long version)
        {
            var values = directives.Select(_ => new string?[records.Length]).ToArray();
            var live = new List<int>(used);
            for (var slot = 0; slot < used; slot++)
            {
                if (records[slot] is { } r)
                {
                    live.Add(slot);
                    for (var d = 0; d < directives.Count; d++)
                    {
                        values[d][slot] = r.FirstValue(directives[d].Field);
                    }
                }
            }

            var cache = new OrderCache(version, [], values, directives.Select(d => d.Descending).ToArray());
            var slots = live.ToArray();
            Array.Sort(slots, (a, b) => cache.Compare(a, b, records));
            return new OrderCache(version, slots, values, cache.Descending);
        }

        public int Compare(int a, int b, EntityRecord?[] records)
        {
            for (var d = 0; d < Values.Length; d++)
            {
                var c = CompareValues(Values[d][a], Values[d][b], Descending[d]);
                if (c != 0)
                {
                    return c;
                }
            }

            return string.CompareOrdinal(records[a]!.RefKey, records[b]!.RefKey);
        }

        public int CompareToKey(int slot, CursorKey key, EntityRecord?[] records)
        {
            for (var d = 0; d < Values.Length && d < key.Values.Length; d++)
            {
                var c = CompareValues(Values[d][slot], key.Values[d], Descending[d]);
                if (c != 0)
                {
                    return c;
                }
            }

            return string.CompareOrdinal(records[slot]!.RefKey, key.RefKey);
        }

        public CursorKey KeyOf(int slot, EntityRecord?[] records) =>
            new(Values.Select(v => v[slot]).ToArray(), records[slot]!.RefKey);

        private static int CompareValues(string? a, string? b, bool descending)
        {
            if (a is null || b is null)
            {
                // Entities without the field sort last whichever the direction, as Backstage does.
                return a is null ? (b is null ? 0 : 1) : -1;
            }

            var c = string.CompareOrdinal(a, b);
            return descending ? -c : c;
        }
    }
}
