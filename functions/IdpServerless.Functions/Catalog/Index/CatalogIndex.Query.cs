using System.Numerics;

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

    /// <summary>The selected slots as a bit set, or null for "every entity".</summary>
    private ulong[]? Select(EntityQuery query)
    {
        ulong[]? bits = null;
        if (query.Filters.Count > 0)
        {
            bits = new ulong[Words()];
            foreach (var set in query.Filters)
            {
                MatchSet(set, bits);
            }
        }

        if (query.Predicate is not null)
        {
            var p = Evaluate(query.Predicate);
            if (bits is null)
            {
                bits = p;
            }
            else
            {
                for (var i = 0; i < bits.Length; i++)
                {
                    bits[i] &= p[i];
                }
            }
        }

        return bits;
    }

    private void MatchSet(FilterSet set, ulong[] result)
    {
        var conditions = new List<List<SlotSet>>(set.Conditions.Count);
        foreach (var condition in set.Conditions)
        {
            var sets = Resolve(condition.Key, condition.Values);
            if (sets.Count == 0)
            {
                return;
            }

            conditions.Add(sets);
        }

        if (conditions.Count == 0)
        {
            return;
        }

        conditions.Sort((a, b) => a.Sum(s => s.Count).CompareTo(b.Sum(s => s.Count)));
        var smallest = conditions[0];
        if (smallest.Sum(s => s.Count) * 32L > _used)
        {
            // Every condition is large: AND whole bit sets a word at a time instead of probing slot by slot.
            var acc = new ulong[result.Length];
            foreach (var s in smallest)
            {
                s.SetBits(acc);
            }

            foreach (var condition in conditions.Skip(1))
            {
                if (condition.Count == 1)
                {
                    condition[0].IntersectInto(acc);
                }
                else
                {
                    var any = new ulong[result.Length];
                    foreach (var s in condition)
                    {
                        s.SetBits(any);
                    }

                    for (var i = 0; i < acc.Length; i++)
                    {
                        acc[i] &= any[i];
                    }
                }
            }

            for (var i = 0; i < result.Length; i++)
            {
                result[i] |= acc[i];
            }

            return;
        }

        foreach (var s in smallest)
        {
            s.ForEach((conditions, result), static (slot, state) =>
            {
                for (var c = 1; c < state.conditions.Count; c++)
                {
                    var any = false;
                    foreach (var set in state.conditions[c])
                    {
                        if (set.Contains(slot))
                        {
                            any = true;
                            break;
                        }
                    }

                    if (!any)
                    {
                        return;
                    }
                }

                state.result[slot >> 6] |= 1UL << slot;
            });
        }
    }

    /// <summary>The posting sets of a key (any of the values, or the key's existence when no values are given).</summary>
    private List<SlotSet> Resolve(string key, IReadOnlyList<string> values)
    {
        var result = new List<SlotSet>();
        if (!_keys.TryGetValue(key, out var postings))
        {
            return result;
        }

        if (values.Count == 0)
        {
            result.Add(postings.Exists);
            return result;
        }

        foreach (var value in values)
        {
            if (postings.Values.TryGetValue(value, out var posting))
            {
                result.Add(posting.Slots);
            }
        }

        return result;
    }

    private ulong[] Evaluate(QueryPredicate predicate)
    {
        var bits = new ulong[Words()];
        switch (predicate)
        {
            case QueryPredicate.AllOf all:
                if (all.Items.Count == 0)
                {
                    SetAll(bits);
                    break;
                }

                Array.Copy(Evaluate(all.Items[0]), bits, bits.Length);
                foreach (var item in all.Items.Skip(1))
                {
                    var other = Evaluate(item);
                    for (var i = 0; i < bits.Length; i++)
                    {
                        bits[i] &= other[i];
                    }
                }

                break;
            case QueryPredicate.AnyOf any:
                foreach (var item in any.Items)
                {
                    var other = Evaluate(item);
                    for (var i = 0; i < bits.Length; i++)
                    {
                        bits[i] |= other[i];
                    }
                }

                break;
            case QueryPredicate.Not not:
                var inner = Evaluate(not.Item);
                SetAll(bits);
                for (var i = 0; i < bits.Length; i++)
                {
                    bits[i] &= ~inner[i];
                }

                break;
            case QueryPredicate.Exists exists:
                if (_keys.TryGetValue(exists.Key, out var p))
                {
                    p.Exists.SetBits(bits);
                }

                if (!exists.Present)
                {
                    var present = (ulong[])bits.Clone();
                    SetAll(bits);
                    for (var i = 0; i < bits.Length; i++)
                    {
                        bits[i] &= ~present[i];
                    }
                }

                break;
            case QueryPredicate.In @in:
                foreach (var set in Resolve(@in.Key, @in.Values))
                {
                    set.SetBits(bits);
                }

                break;
            case QueryPredicate.HasPrefix prefix:
                if (_keys.TryGetValue(prefix.Key, out var kp))
                {
                    foreach (var (value, posting) in kp.Values)
                    {
                        if (value.StartsWith(prefix.Prefix, StringComparison.Ordinal))
                        {
                            posting.Slots.SetBits(bits);
                        }
                    }
                }

                break;
        }

        return bits;
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

    private int Words() => (_slots.Length + 63) >> 6;

    private void SetAll(ulong[] bits)
    {
        for (var slot = 0; slot < _used; slot++)
        {
            if (_slots[slot] is not null)
            {
                bits[slot >> 6] |= 1UL << slot;
            }
        }
    }

    private static int PopCount(ulong[] bits)
    {
        var n = 0;
        foreach (var w in bits)
        {
            n += BitOperations.PopCount(w);
        }

        return n;
    }

    private static void ForEachBit(ulong[] bits, Action<int> action)
    {
        for (var i = 0; i < bits.Length; i++)
        {
            var w = bits[i];
            while (w != 0)
            {
                var b = BitOperations.TrailingZeroCount(w);
                action((i << 6) + b);
                w &= w - 1;
            }
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
