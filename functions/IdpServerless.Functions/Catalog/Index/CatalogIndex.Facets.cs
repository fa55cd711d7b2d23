namespace IdpServerless.Functions.Catalog.Index;

/// <summary>One value of a facet and how many selected entities have it.</summary>
public sealed record FacetValue(string Value, int Count);

public sealed partial class CatalogIndex
{
    /// <summary>
    /// For each facet key, the values the selected entities have and how many have each (most frequent first).
    /// Values are reported as first ingested (e.g. <c>Component</c>), matched case-insensitively.
    /// </summary>
    public Dictionary<string, List<FacetValue>> Facets(IReadOnlyList<string> facets, EntityQuery query)
    {
        _lock.EnterReadLock();
        try
        {
            var bits = Select(query);
            if (query.Term is { Length: > 0 } term && Search(term, query.TermFields, bits) is { } scores)
            {
                bits = new ulong[Words()];
                foreach (var slot in scores.Keys)
                {
                    bits[slot >> 6] |= 1UL << slot;
                }

                FullTextIndex.ReturnScores(scores);
            }

            var result = new Dictionary<string, List<FacetValue>>(StringComparer.Ordinal);
            foreach (var facet in facets)
            {
                var values = new List<FacetValue>();
                if (_keys.TryGetValue(facet.ToLowerInvariant(), out var postings))
                {
                    foreach (var posting in postings.Values.Values)
                    {
                        var count = bits is null ? posting.Slots.Count : posting.Slots.CountIn(bits);
                        if (count > 0)
                        {
                            values.Add(new FacetValue(posting.Original, count));
                        }
                    }
                }

                values.Sort((a, b) => b.Count != a.Count ? b.Count.CompareTo(a.Count) : string.CompareOrdinal(a.Value, b.Value));
                result[facet] = values;
            }

            return result;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }
}
