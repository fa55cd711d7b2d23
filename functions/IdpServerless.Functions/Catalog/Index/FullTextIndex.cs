namespace IdpServerless.Functions.Catalog.Index;

/// <summary>The fields full-text search reads, each a bit in a posting's mask, with its ranking weight.</summary>
public enum SearchField
{
    Name = 0,
    Title = 1,
    DisplayName = 2,
    Tags = 3,
    Kind = 4,
    Type = 5,
    Owner = 6,
    Description = 7,
    Annotations = 8,
}

/// <summary>
/// An inverted index of words for ranked search: each word maps to the entities (slots) and fields it appears in.
/// A query word matches a word exactly, as a prefix, or with one typo (an insertion, deletion, substitution or swap of
/// two neighbours, for words of four characters or more); every query word must match. Scores add the field weights,
/// scaled down for prefix and typo matches, with a bonus for an exact name match. The last query word (the one being
/// typed) may also be a prefix with a typo. Not thread-safe: the catalog index guards it.
/// </summary>
public sealed class FullTextIndex(IReadOnlyList<string> annotationKeys)
{
    private const int MaxPrefixExpansions = 512;

    /// <summary>Entities a word must match as spelt (exactly or as a prefix) before its typo variants are not searched.</summary>
    private const int TypoThreshold = 50;
    private const int MaxTokenLength = 64;
    private static readonly float[] Weights = [10f, 8f, 8f, 5f, 3f, 3f, 3f, 1f, 2f];
    private static readonly char[] Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789".ToCharArray();

    private readonly Dictionary<string, Dictionary<int, ushort>> _postings = new(StringComparer.Ordinal);
    private readonly Lock _vocabularyLock = new();
    private volatile string[]? _vocabulary;
    private readonly Dictionary<int, string[]> _tokensBySlot = [];

    public int TermCount => _postings.Count;

    /// <summary>Maps a Backstage field path (lowercased) to the search field it names, or null.</summary>
    public static SearchField? FieldOf(string path) => path switch
    {
        "metadata.name" => SearchField.Name,
        "metadata.title" => SearchField.Title,
        "spec.profile.displayname" => SearchField.DisplayName,
        "metadata.tags" => SearchField.Tags,
        "kind" => SearchField.Kind,
        "spec.type" => SearchField.Type,
        "spec.owner" => SearchField.Owner,
        "metadata.description" => SearchField.Description,
        _ when path.StartsWith("metadata.annotations.", StringComparison.Ordinal) => SearchField.Annotations,
        _ => null,
    };

    /// <summary>Adds the entity in its slot (<see cref="Prepare"/> and <see cref="Add(int, TextTerms)"/> in one).</summary>
    public void Add(EntityRecord record) => Add(record.Slot, Prepare(record));

    // Prepare's working map, one per thread and reused (see EntityRecord's Flatten): it runs once per entity of a bulk load.
    [ThreadStatic]
    private static Dictionary<string, ushort>? t_masks;

    /// <summary>
    /// The words of an entity and the fields each appears in. Reads only the record and this index's settings, so a
    /// bulk change prepares its entities in parallel, outside the catalog's write lock.
    /// </summary>
    public TextTerms Prepare(EntityRecord record)
    {
        var masks = t_masks is { Count: <= 4096 } m ? m : t_masks = new Dictionary<string, ushort>(StringComparer.Ordinal);
        masks.Clear();
        void Field(string? text, SearchField field, bool whole = false)
        {
            if (string.IsNullOrEmpty(text))
            {
                return;
            }

            var bit = (ushort)(1 << (int)field);
            foreach (var token in Tokenize(text))
            {
                masks[token] = (ushort)(masks.GetValueOrDefault(token) | bit);
            }

            var full = text.ToLowerInvariant();
            if (whole && full.Length <= MaxTokenLength && !masks.ContainsKey(full))
            {
                masks[full] = bit;
            }
        }

        Field(record.Name, SearchField.Name, whole: true);
        Field(record.Title, SearchField.Title);
        Field(record.DisplayName, SearchField.DisplayName);
        foreach (var tag in record.Tags)
        {
            Field(tag, SearchField.Tags, whole: true);
        }

        Field(record.Kind, SearchField.Kind);
        Field(record.SpecType, SearchField.Type);
        Field(record.Owner, SearchField.Owner);
        Field(record.Description, SearchField.Description);
        foreach (var key in annotationKeys)
        {
            if (record.Annotations.TryGetValue(key, out var value))
            {
                Field(value, SearchField.Annotations);
            }
        }

        var tokens = new string[masks.Count];
        var fields = new ushort[masks.Count];
        var i = 0;
        foreach (var (token, mask) in masks)
        {
            (tokens[i], fields[i]) = (token, mask);
            i++;
        }

        return new TextTerms(tokens, fields);
    }

    /// <summary>Adds prepared words for the entity in <paramref name="slot"/>.</summary>
    public void Add(int slot, TextTerms terms)
    {
        var tokens = terms.Tokens;
        var lookup = _postings.GetAlternateLookup<ReadOnlySpan<char>>();
        for (var i = 0; i < tokens.Length; i++)
        {
            // The index's own copy of a word it already holds, so the entity's duplicate can be collected.
            if (lookup.TryGetValue(tokens[i], out var held, out var posting))
            {
                tokens[i] = held;
            }
            else
            {
                _postings[tokens[i]] = posting = [];
                _vocabulary = null;
            }

            posting[slot] = terms.Fields[i];
        }

        _tokensBySlot[slot] = tokens;
    }

    public void Remove(EntityRecord record)
    {
        if (!_tokensBySlot.Remove(record.Slot, out var tokens))
        {
            return;
        }

        foreach (var token in tokens)
        {
            if (_postings.TryGetValue(token, out var posting) && posting.Remove(record.Slot) && posting.Count == 0)
            {
                _postings.Remove(token);
                _vocabulary = null;
            }
        }
    }

    /// <summary>
    /// Scores of every entity matching all words of <paramref name="term"/> in the allowed fields, or null when the
    /// term has no words (then it filters nothing). <paramref name="capacity"/> bounds the slot numbers;
    /// <paramref name="nameOf"/>, when given, returns an entity's lowercase name for the exact/prefix name bonus.
    /// </summary>
    public Dictionary<int, float>? Search(string term, ushort allowedFields, int capacity, Func<int, string>? nameOf = null)
    {
        var words = Tokenize(term).Distinct(StringComparer.Ordinal).ToList();
        if (words.Count == 0)
        {
            return null;
        }

        var vocabulary = Vocabulary();
        // Every per-query buffer comes from the pool: a popular word ("service") touches tens of thousands of entities,
        // and lists of that size would land on the large-object heap at each query. LOH garbage is freed only by full
        // collections, and those of a heap that holds the index were the multi-second full-text p99 (issue #18).
        var floats = System.Buffers.ArrayPool<float>.Shared;
        var ints = System.Buffers.ArrayPool<int>.Shared;
        var total = floats.Rent(capacity);
        var best = floats.Rent(capacity);
        var touched = ints.Rent(capacity);
        var matched = ints.Rent(capacity);
        var next = ints.Rent(capacity);
        Array.Clear(total, 0, capacity);
        Array.Clear(best, 0, capacity);
        try
        {
            var matchedCount = 0;
            for (var w = 0; w < words.Count; w++)
            {
                var touchedCount = 0;
                Match(words[w], allowedFields, w == words.Count - 1 && words[w].Length >= 5, vocabulary, best, touched, ref touchedCount);
                if (w == 0)
                {
                    for (var i = 0; i < touchedCount; i++)
                    {
                        var slot = touched[i];
                        total[slot] = best[slot];
                        matched[i] = slot;
                    }

                    matchedCount = touchedCount;
                }
                else
                {
                    var nextCount = 0;
                    for (var i = 0; i < matchedCount; i++)
                    {
                        var slot = matched[i];
                        if (best[slot] > 0)
                        {
                            total[slot] += best[slot];
                            next[nextCount++] = slot;
                        }
                    }

                    (matched, next) = (next, matched);
                    matchedCount = nextCount;
                }

                for (var i = 0; i < touchedCount; i++)
                {
                    best[touched[i]] = 0;
                }

                if (matchedCount == 0)
                {
                    break;
                }
            }

            var whole = term.Trim().ToLowerInvariant();
            var result = RentScores(matchedCount);
            for (var i = 0; i < matchedCount; i++)
            {
                var slot = matched[i];
                var score = total[slot];
                if (nameOf is not null && (allowedFields & 1) != 0)
                {
                    // nameOf gives lowercase names: ordinal comparisons, several times cheaper than ignoring case.
                    var name = nameOf(slot);
                    score += name.StartsWith(whole, StringComparison.Ordinal) ? (name.Length == whole.Length ? 20f : 5f) : 0f;
                }

                result[slot] = score;
            }

            return result;
        }
        finally
        {
            floats.Return(total);
            floats.Return(best);
            ints.Return(touched);
            ints.Return(matched);
            ints.Return(next);
        }
    }

    // Score maps of popular words hold thousands of entries (~112 KB at 7,000): allocated per query they land on the
    // large-object heap, which only a full collection frees, and at a few hundred searches a second those collections
    // of a heap that also holds the index dominate the tail latency. Callers hand them back when done.
    private static readonly System.Collections.Concurrent.ConcurrentBag<Dictionary<int, float>> ScorePool = [];

    private static Dictionary<int, float> RentScores(int capacity)
    {
        if (!ScorePool.TryTake(out var scores))
        {
            return new Dictionary<int, float>(capacity);
        }

        scores.EnsureCapacity(capacity);
        return scores;
    }

    /// <summary>Gives a score map from <see cref="Search"/> back for reuse; the caller must not touch it afterwards.</summary>
    public static void ReturnScores(Dictionary<int, float>? scores)
    {
        if (scores is null || scores.Count > 1 << 20 || ScorePool.Count >= 32)
        {
            return;
        }

        scores.Clear();
        ScorePool.Add(scores);
    }

    private static void Collect(Dictionary<int, ushort> posting, float factor, ushort allowed, float[] best, int[] touched, ref int touchedCount)
    {
        foreach (var (slot, mask) in posting)
        {
            var m = mask & allowed;
            if (m == 0)
            {
                continue;
            }

            var score = BestWeight(m) * factor;
            var current = best[slot];
            if (current == 0)
            {
                touched[touchedCount++] = slot;
            }

            if (current < score)
            {
                best[slot] = score;
            }
        }
    }

    private void Match(string word, ushort allowed, bool prefixTypos, string[] vocabulary, float[] best, int[] touched, ref int touchedCount)
    {
        if (_postings.TryGetValue(word, out var exact))
        {
            Collect(exact, 1f, allowed, best, touched, ref touchedCount);
        }

        var expansions = 0;
        for (var i = PrefixStart(vocabulary, word); i < vocabulary.Length && vocabulary[i].StartsWith(word, StringComparison.Ordinal); i++)
        {
            var candidate = vocabulary[i];
            if (candidate.Length == word.Length)
            {
                continue;
            }

            if (++expansions > MaxPrefixExpansions)
            {
                break;
            }

            // Shorter completions rank above long ones: "pay" is closer to "payment" than to "payments-gateway".
            Collect(_postings[candidate], 0.7f * word.Length / candidate.Length + 0.1f, allowed, best, touched, ref touchedCount);
        }

        // Typo tolerance is for words that find (almost) nothing as spelt: when the exact word and its completions
        // already match plenty of entities, the ~600 one-edit variants (and their completions) would only add
        // lower-ranked noise at several times the cost of the whole query.
        if (word.Length < 4 || touchedCount >= TypoThreshold)
        {
            return;
        }

        var lookup = _postings.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var variant in OneEditVariants(word))
        {
            if (lookup.TryGetValue(variant.Span, out var near))
            {
                Collect(near, 0.5f, allowed, best, touched, ref touchedCount);
            }

            if (prefixTypos && variant.Length >= 4)
            {
                // "paymnt" should still find "payments": a typo in a word being typed.
                var text = variant.Span;
                var taken = 0;
                for (var i = PrefixStart(vocabulary, text); i < vocabulary.Length && vocabulary[i].AsSpan().StartsWith(text, StringComparison.Ordinal) && taken < 16; i++)
                {
                    if (vocabulary[i].Length != text.Length)
                    {
                        taken++;
                        Collect(_postings[vocabulary[i]], 0.35f, allowed, best, touched, ref touchedCount);
                    }
                }
            }
        }
    }

    /// <summary>The sorted vocabulary, rebuilt after words were added or removed (at most once per change).</summary>
    private string[] Vocabulary()
    {
        var current = _vocabulary;
        if (current is not null)
        {
            return current;
        }

        lock (_vocabularyLock)
        {
            if (_vocabulary is { } built)
            {
                return built;
            }

            var words = _postings.Keys.ToArray();
            Array.Sort(words, StringComparer.Ordinal);
            _vocabulary = words;
            return words;
        }
    }

    private static int PrefixStart(string[] vocabulary, ReadOnlySpan<char> prefix)
    {
        int lo = 0, hi = vocabulary.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (vocabulary[mid].AsSpan().SequenceCompareTo(prefix) < 0)
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

    private static float BestWeight(int mask)
    {
        var best = 0f;
        for (var i = 0; mask != 0; i++, mask >>= 1)
        {
            if ((mask & 1) != 0 && Weights[i] > best)
            {
                best = Weights[i];
            }
        }

        return best;
    }

    /// <summary>Every string one edit away from <paramref name="word"/> over lowercase letters and digits (duplicates possible).</summary>
    private static List<ReadOnlyMemory<char>> OneEditVariants(string word)
    {
        var variants = new List<ReadOnlyMemory<char>>(word.Length * 75);
        for (var i = 0; i < word.Length; i++)
        {
            variants.Add(string.Concat(word.AsSpan(0, i), word.AsSpan(i + 1)).AsMemory());
            if (i + 1 < word.Length)
            {
                var swapped = word.ToCharArray();
                (swapped[i], swapped[i + 1]) = (swapped[i + 1], swapped[i]);
                variants.Add(swapped);
            }

            foreach (var c in Alphabet)
            {
                if (c != word[i])
                {
                    var changed = word.ToCharArray();
                    changed[i] = c;
                    variants.Add(changed);
                }
            }
        }

        for (var i = 0; i <= word.Length; i++)
        {
            foreach (var c in Alphabet)
            {
                var inserted = new char[word.Length + 1];
                word.AsSpan(0, i).CopyTo(inserted);
                inserted[i] = c;
                word.AsSpan(i).CopyTo(inserted.AsSpan(i + 1));
                variants.Add(inserted);
            }
        }

        return variants;
    }

    /// <summary>Lowercased words: runs of letters and digits.</summary>
    public static IEnumerable<string> Tokenize(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (isWord && start < 0)
            {
                start = i;
            }
            else if (!isWord && start >= 0)
            {
                var length = Math.Min(i - start, MaxTokenLength);
                yield return text.Substring(start, length).ToLowerInvariant();
                start = -1;
            }
        }
    }
}

/// <summary>An entity's words and, for each, the <see cref="SearchField"/> bits it appears in (<see cref="FullTextIndex.Prepare"/>).</summary>
public readonly record struct TextTerms(string[] Tokens, ushort[] Fields);
