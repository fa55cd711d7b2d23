namespace IdpServerless.Functions.Catalog.Index;

/// <summary>
/// A set of entity slots sized for the catalog's skew: most filter values (names, uids, annotations) belong to one
/// entity, a few (kinds, types, owners) to thousands. Small sets are a short array (no hashing, little memory); large
/// ones switch to a hash set. Not thread-safe: the index guards it.
/// </summary>
public sealed class SlotSet
{
    private const int ArrayLimit = 16;
    private int[] _items = new int[1];
    private int _count;
    private HashSet<int>? _set;

    public int Count => _set?.Count ?? _count;

    public bool Add(int slot)
    {
        if (_set is not null)
        {
            return _set.Add(slot);
        }

        if (Array.IndexOf(_items, slot, 0, _count) >= 0)
        {
            return false;
        }

        if (_count == ArrayLimit)
        {
            _set = new HashSet<int>(_items.AsSpan(0, _count).ToArray()) { slot };
            _items = [];
            _count = 0;
            return true;
        }

        if (_count == _items.Length)
        {
            Array.Resize(ref _items, Math.Min(ArrayLimit, _items.Length * 2));
        }

        _items[_count++] = slot;
        return true;
    }

    public bool Remove(int slot)
    {
        if (_set is not null)
        {
            return _set.Remove(slot);
        }

        var i = Array.IndexOf(_items, slot, 0, _count);
        if (i < 0)
        {
            return false;
        }

        _items[i] = _items[--_count];
        return true;
    }

    public bool Contains(int slot) => _set?.Contains(slot) ?? Array.IndexOf(_items, slot, 0, _count) >= 0;

    /// <summary>Calls <paramref name="action"/> for each slot (no allocation for small sets).</summary>
    public void ForEach<TState>(TState state, Action<int, TState> action)
    {
        if (_set is not null)
        {
            foreach (var s in _set)
            {
                action(s, state);
            }

            return;
        }

        for (var i = 0; i < _count; i++)
        {
            action(_items[i], state);
        }
    }

    /// <summary>Sets each slot's bit in <paramref name="bits"/>.</summary>
    public void SetBits(ulong[] bits)
    {
        if (_set is not null)
        {
            foreach (var s in _set)
            {
                bits[s >> 6] |= 1UL << s;
            }

            return;
        }

        for (var i = 0; i < _count; i++)
        {
            var s = _items[i];
            bits[s >> 6] |= 1UL << s;
        }
    }

    /// <summary>How many slots are also set in <paramref name="bits"/>.</summary>
    public int CountIn(ulong[] bits)
    {
        var n = 0;
        if (_set is not null)
        {
            foreach (var s in _set)
            {
                if ((bits[s >> 6] & (1UL << s)) != 0)
                {
                    n++;
                }
            }

            return n;
        }

        for (var i = 0; i < _count; i++)
        {
            var s = _items[i];
            if ((bits[s >> 6] & (1UL << s)) != 0)
            {
                n++;
            }
        }

        return n;
    }
}
