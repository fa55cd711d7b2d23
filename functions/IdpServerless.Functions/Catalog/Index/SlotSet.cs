using System.Numerics;

namespace IdpServerless.Functions.Catalog.Index;

/// <summary>
/// A set of entity slots sized for the catalog's skew: most filter values (names, uids, annotations) belong to one
/// entity, some (owners, tags) to dozens, a few (kinds, types, existence of common keys) to tens of thousands. One slot
/// is held inline, a few in a short array, hundreds in a hash set, and large sets as a bit set (6 KiB per 50,000
/// entities, and AND/OR/count run a word at a time). Not thread-safe: the index guards it.
/// </summary>
public class SlotSet
{
    private const int ArrayLimit = 16;
    private const int HashLimit = 1024;
    private int _single = -1;
    private int[]? _items;
    private int _count;
    private HashSet<int>? _set;
    private ulong[]? _bits;

    public int Count => _count;

    /// <summary>The bit set, when the set is large enough to keep one (null otherwise).</summary>
    public ulong[]? Bits => _bits;

    public bool Add(int slot)
    {
        if (_bits is not null)
        {
            if (slot >> 6 >= _bits.Length)
            {
                Array.Resize(ref _bits, Math.Max((slot >> 6) + 1, _bits.Length * 2));
            }

            ref var word = ref _bits[slot >> 6];
            var mask = 1UL << slot;
            if ((word & mask) != 0)
            {
                return false;
            }

            word |= mask;
            _count++;
            return true;
        }

        if (_set is not null)
        {
            if (!_set.Add(slot))
            {
                return false;
            }

            _count++;
            if (_count > HashLimit)
            {
                _bits = new ulong[(_set.Max() >> 6) + 1];
                foreach (var s in _set)
                {
                    _bits[s >> 6] |= 1UL << s;
                }

                _set = null;
            }

            return true;
        }

        if (Contains(slot))
        {
            return false;
        }

        if (_count == 0)
        {
            _single = slot;
        }
        else if (_count == 1)
        {
            _items = new int[4];
            _items[0] = _single;
            _items[1] = slot;
        }
        else if (_count < ArrayLimit)
        {
            if (_count == _items!.Length)
            {
                Array.Resize(ref _items, ArrayLimit);
            }

            _items[_count] = slot;
        }
        else
        {
            _set = new HashSet<int>(_items!) { slot };
            _items = null;
        }

        _count++;
        return true;
    }

    public bool Remove(int slot)
    {
        if (_bits is not null)
        {
            if (slot >> 6 >= _bits.Length || (_bits[slot >> 6] & (1UL << slot)) == 0)
            {
                return false;
            }

            _bits[slot >> 6] &= ~(1UL << slot);
            _count--;
            return true;
        }

        if (_set is not null)
        {
            if (!_set.Remove(slot))
            {
                return false;
            }

            _count--;
            return true;
        }

        if (_count == 1)
        {
            if (_single != slot)
            {
                return false;
            }

            _single = -1;
            _count = 0;
            return true;
        }

        var i = _items is null ? -1 : Array.IndexOf(_items, slot, 0, _count);
        if (i < 0)
        {
            return false;
        }

        _items![i] = _items[--_count];
        if (_count == 1)
        {
            _single = _items[0];
            _items = null;
        }

        return true;
    }

    public bool Contains(int slot)
    {
        if (_bits is not null)
        {
            return slot >> 6 < _bits.Length && (_bits[slot >> 6] & (1UL << slot)) != 0;
        }

        if (_set is not null)
        {
            return _set.Contains(slot);
        }

        return _count == 1 ? _single == slot : _count > 1 && Array.IndexOf(_items!, slot, 0, _count) >= 0;
    }

    /// <summary>Calls <paramref name="action"/> for each slot.</summary>
    public void ForEach<TState>(TState state, Action<int, TState> action)
    {
        if (_bits is not null)
        {
            for (var i = 0; i < _bits.Length; i++)
            {
                var w = _bits[i];
                while (w != 0)
                {
                    action((i << 6) + BitOperations.TrailingZeroCount(w), state);
                    w &= w - 1;
                }
            }

            return;
        }

        if (_set is not null)
        {
            foreach (var s in _set)
            {
                action(s, state);
            }

            return;
        }

        if (_count == 1)
        {
            action(_single, state);
            return;
        }

        for (var i = 0; i < _count; i++)
        {
            action(_items![i], state);
        }
    }

    /// <summary>Sets each slot's bit in <paramref name="bits"/>.</summary>
    public void SetBits(ulong[] bits)
    {
        if (_bits is not null)
        {
            var n = Math.Min(bits.Length, _bits.Length);
            for (var i = 0; i < n; i++)
            {
                bits[i] |= _bits[i];
            }

            return;
        }

        ForEach(bits, static (s, b) => b[s >> 6] |= 1UL << s);
    }

    /// <summary>Clears every bit of <paramref name="bits"/> that is not in this set (an AND).</summary>
    public void IntersectInto(ulong[] bits)
    {
        if (_bits is not null)
        {
            for (var i = 0; i < bits.Length; i++)
            {
                bits[i] &= i < _bits.Length ? _bits[i] : 0;
            }

            return;
        }

        var mine = new ulong[bits.Length];
        SetBits(mine);
        for (var i = 0; i < bits.Length; i++)
        {
            bits[i] &= mine[i];
        }
    }

    /// <summary>How many slots are also set in <paramref name="bits"/>.</summary>
    public int CountIn(ulong[] bits)
    {
        if (_bits is not null)
        {
            var n = 0;
            var words = Math.Min(bits.Length, _bits.Length);
            for (var i = 0; i < words; i++)
            {
                n += BitOperations.PopCount(bits[i] & _bits[i]);
            }

            return n;
        }

        var count = 0;
        ForEach(bits, (s, b) =>
        {
            if ((b[s >> 6] & (1UL << s)) != 0)
            {
                count++;
            }
        });
        return count;
    }
}
