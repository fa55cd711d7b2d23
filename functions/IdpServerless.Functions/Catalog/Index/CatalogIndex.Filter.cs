using System.Numerics;

namespace IdpServerless.Functions.Catalog.Index;

/// <summary>
/// Which slots a query selects: its filter sets and predicate evaluated over the attribute postings as bit sets (one
/// bit per slot), and the bit-set helpers the paging, facets and search share.
/// </summary>
public sealed partial class CatalogIndex
{
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
}
