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
    private const int MaxTokenLength = 64;
    private static readonly float[] Weights = [10f, 8f, 8f, 5f, 3f, 3f, 3f, 1f, 2f];
    private static readonly char[] Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789".ToCharArray();

    private readonly Dictionary<string, Dictionary<int, ushort>> _postings = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _vocabulary = new(StringComparer.Ordinal);
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

    public void Add(EntityRecord record)
    {
        var masks = new Dictionary<string, ushort>(StringComparer.Ordinal);
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

        foreach (var (token, mask) in masks)
        {
            if (!_postings.TryGetValue(token, out var posting))
            {
                _postings[token] = posting = [];
                _vocabulary.Add(token);
            }

            posting[record.Slot] = mask;
        }

        _tokensBySlot[record.Slot] = [.. masks.Keys];
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
                _vocabulary.Remove(token);
            }
        }
    }

    /// <summary>
    /// Scores of every entity matching all words of <paramref name="term"/> in the allowed fields, or null when the
    /// term has no words (then it filters nothing).
    /// </summary>
    public Dictionary<int, float>? Search(string term, ushort allowedFields, Func<int, string>? nameOf = null)
    {
        var words = Tokenize(term).Distinct(StringComparer.Ordinal).ToList();
        if (words.Count == 0)
        {
            return null;
        }

        Dictionary<int, float>? total = null;
        for (var w = 0; w < words.Count; w++)
        {
            var word = words[w];
            var hits = Match(word, allowedFields, prefixTypos: w == words.Count - 1 && word.Length >= 5);
            if (total is null)
            {
                total = hits;
            }
            else
            {
                var next = new Dictionary<int, float>(Math.Min(total.Count, hits.Count));
                foreach (var (slot, score) in total)
                {
                    if (hits.TryGetValue(slot, out var s))
                    {
                        next[slot] = score + s;
                    }
                }

                total = next;
            }

            if (total.Count == 0)
            {
                return total;
            }
        }

        if (nameOf is not null && (allowedFields & 1) != 0)
        {
            var whole = term.Trim().ToLowerInvariant();
            foreach (var slot in total!.Keys.ToList())
            {
                var name = nameOf(slot);
                if (name.Equals(whole, StringComparison.OrdinalIgnoreCase))
                {
                    total[slot] += 20f;
                }
                else if (name.StartsWith(whole, StringComparison.OrdinalIgnoreCase))
                {
                    total[slot] += 5f;
                }
            }
        }

        return total;
    }

    private Dictionary<int, float> Match(string word, ushort allowed, bool prefixTypos)
    {
        var hits = new Dictionary<int, float>();
        void Collect(Dictionary<int, ushort> posting, float factor)
        {
            foreach (var (slot, mask) in posting)
            {
                var m = mask & allowed;
                if (m == 0)
                {
                    continue;
                }

                var score = BestWeight(m) * factor;
                if (!hits.TryGetValue(slot, out var existing) || existing < score)
                {
                    hits[slot] = score;
                }
            }
        }

        if (_postings.TryGetValue(word, out var exact))
        {
            Collect(exact, 1f);
        }

        var upper = word + char.MaxValue;
        var expansions = 0;
        foreach (var candidate in _vocabulary.GetViewBetween(word, upper))
        {
            if (candidate.Length == word.Length)
            {
                continue;
            }

            if (++expansions > MaxPrefixExpansions)
            {
                break;
            }

            // Shorter completions rank above long ones: "pay" is closer to "payment" than to "payments-gateway".
            Collect(_postings[candidate], 0.7f * word.Length / candidate.Length + 0.1f);
        }

        if (word.Length >= 4)
        {
            foreach (var variant in OneEditVariants(word))
            {
                if (_postings.TryGetValue(variant, out var near))
                {
                    Collect(near, 0.5f);
                }

                if (prefixTypos && variant.Length >= 4)
                {
                    // "paymnt" should still find "payments": a typo in a word being typed.
                    var taken = 0;
                    foreach (var candidate in _vocabulary.GetViewBetween(variant, variant + char.MaxValue))
                    {
                        if (candidate.Length == variant.Length || ++taken > 16)
                        {
                            continue;
                        }

                        Collect(_postings[candidate], 0.35f);
                    }
                }
            }
        }

        return hits;
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

    /// <summary>Every string one edit away from <paramref name="word"/> over lowercase letters and digits.</summary>
    private static HashSet<string> OneEditVariants(string word)
    {
        var variants = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < word.Length; i++)
        {
            variants.Add(word.Remove(i, 1));
            if (i + 1 < word.Length)
            {
                var swapped = word.ToCharArray();
                (swapped[i], swapped[i + 1]) = (swapped[i + 1], swapped[i]);
                variants.Add(new string(swapped));
            }

            foreach (var c in Alphabet)
            {
                if (c != word[i])
                {
                    variants.Add(string.Concat(word.AsSpan(0, i), new ReadOnlySpan<char>(in c), word.AsSpan(i + 1)));
                }
            }
        }

        for (var i = 0; i <= word.Length; i++)
        {
            foreach (var c in Alphabet)
            {
                variants.Add(word.Insert(i, c.ToString()));
            }
        }

        variants.Remove(word);
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
