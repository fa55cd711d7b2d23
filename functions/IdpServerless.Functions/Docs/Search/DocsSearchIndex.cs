using System.Globalization;
using System.Text;

namespace IdpServerless.Functions.Docs.Search;

/// <summary>One search result; <see cref="Snippet"/> is HTML: escaped text with the matched words in <c>&lt;mark&gt;</c>.</summary>
public sealed record DocsSearchHit(string EntityRef, string Path, string Title, string Snippet, double Score);

/// <summary>
/// The in-memory index of built sites: each site's index (for listings and staleness checks) and an inverted index of
/// its pages' words (title, headings, body) for ranked prefix search. Loaded from blobs at start, updated on every build
/// here and whenever another instance's build is seen. Thread-safe; searches share a read lock.
/// </summary>
public sealed class DocsSearchIndex
{
    public const int MaxTermLength = 200;
    private const double TitleWeight = 10;
    private const double HeadingWeight = 4;
    private const double BodyWeight = 1;
    private const int MaxTextChars = 50_000;
    private const int MaxTokenLength = 64;

    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<int, PageDoc> _docs = [];
    private readonly Dictionary<string, SiteEntry> _sites = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<int, double>> _postings = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _tokens = new(StringComparer.Ordinal);
    private int _nextId;

    /// <summary>A site's index and the ETag of the blob it came from (null when not known).</summary>
    public sealed record SiteEntry(DocsSite Site, string? ETag, IReadOnlyList<int> DocIds);

    private sealed record PageDoc(string EntityRef, string Path, string Title, string Text, string[] Tokens);

    public int SiteCount
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _sites.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    public SiteEntry? GetSite(string entityRef)
    {
        _lock.EnterReadLock();
        try
        {
            return _sites.GetValueOrDefault(entityRef);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public Dictionary<string, SiteEntry> Sites()
    {
        _lock.EnterReadLock();
        try
        {
            return new Dictionary<string, SiteEntry>(_sites, StringComparer.Ordinal);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Replaces everything known about the site with this build (unless what is held is newer).</summary>
    public void Put(DocsSite site, string? etag, IEnumerable<(string Path, DocPage Page)> pages)
    {
        var prepared = pages.Select(p => Prepare(site.EntityRef, p.Path, p.Page)).ToList();
        _lock.EnterWriteLock();
        try
        {
            if (_sites.TryGetValue(site.EntityRef, out var held) && held.Site.BuiltAt > site.BuiltAt)
            {
                return;
            }

            RemoveLocked(site.EntityRef);
            var ids = new List<int>(prepared.Count);
            foreach (var doc in prepared)
            {
                var id = ++_nextId;
                _docs[id] = doc.Doc;
                ids.Add(id);
                foreach (var (token, weight) in doc.Weights)
                {
                    if (!_postings.TryGetValue(token, out var posting))
                    {
                        _postings[token] = posting = [];
                        _tokens.Add(token);
                    }

                    posting[id] = weight;
                }
            }

            _sites[site.EntityRef] = new SiteEntry(site, etag, ids);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void Remove(string entityRef)
    {
        _lock.EnterWriteLock();
        try
        {
            RemoveLocked(entityRef);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Pages matching every word of <paramref name="term"/> (each as a word prefix), best first.</summary>
    public List<DocsSearchHit> Search(string term, string? kind, int limit)
    {
        var words = Tokenize(term).Distinct(StringComparer.Ordinal).Take(10).ToArray();
        if (words.Length == 0)
        {
            return [];
        }

        var kindPrefix = string.IsNullOrEmpty(kind) ? null : kind.ToLowerInvariant() + ":";
        _lock.EnterReadLock();
        try
        {
            Dictionary<int, double>? scores = null;
            foreach (var word in words)
            {
                var matches = new Dictionary<int, double>();
                foreach (var token in _tokens.GetViewBetween(word, word + char.MaxValue))
                {
                    var exact = token.Length == word.Length ? 1.0 : 0.6;
                    foreach (var (id, weight) in _postings[token])
                    {
                        matches[id] = Math.Max(matches.GetValueOrDefault(id), weight * exact);
                    }
                }

                scores = scores is null
                    ? matches
                    : scores.Where(s => matches.ContainsKey(s.Key)).ToDictionary(s => s.Key, s => s.Value + matches[s.Key]);
                if (scores.Count == 0)
                {
                    return [];
                }
            }

            return scores!
                .Select(s => (Doc: _docs[s.Key], Score: s.Value))
                .Where(s => kindPrefix is null || s.Doc.EntityRef.StartsWith(kindPrefix, StringComparison.Ordinal))
                .OrderByDescending(s => s.Score).ThenBy(s => s.Doc.EntityRef, StringComparer.Ordinal).ThenBy(s => s.Doc.Path, StringComparer.Ordinal)
                .Take(limit)
                .Select(s => new DocsSearchHit(s.Doc.EntityRef, s.Doc.Path, s.Doc.Title, Snippets.Make(s.Doc.Text, s.Doc.Title, words), Math.Round(s.Score, 3)))
                .ToList();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Lowercased words (letters and digits) of <paramref name="text"/>.</summary>
    public static IEnumerable<string> Tokenize(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var word = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (word && start < 0)
            {
                start = i;
            }
            else if (!word && start >= 0)
            {
                if (i - start <= MaxTokenLength)
                {
                    yield return text[start..i].ToLower(CultureInfo.InvariantCulture);
                }

                start = -1;
            }
        }
    }

    private static (PageDoc Doc, Dictionary<string, double> Weights) Prepare(string entityRef, string path, DocPage page)
    {
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        void Add(string text, double weight)
        {
            foreach (var token in Tokenize(text))
            {
                // Repeated words count for more, with diminishing returns.
                weights[token] = weights.TryGetValue(token, out var w) ? w + weight / (1 + w) : weight;
            }
        }

        Add(page.Title, TitleWeight);
        foreach (var heading in page.Toc)
        {
            Add(heading.Text, HeadingWeight);
        }

        var text = page.Text.Length > MaxTextChars ? page.Text[..MaxTextChars] : page.Text;
        Add(text, BodyWeight);
        return (new PageDoc(entityRef, path, page.Title, NormalizeSpace(text), [.. weights.Keys]), weights);
    }

    private void RemoveLocked(string entityRef)
    {
        if (!_sites.Remove(entityRef, out var entry))
        {
            return;
        }

        foreach (var id in entry.DocIds)
        {
            if (!_docs.Remove(id, out var doc))
            {
                continue;
            }

            foreach (var token in doc.Tokens)
            {
                if (_postings.TryGetValue(token, out var posting) && posting.Remove(id) && posting.Count == 0)
                {
                    _postings.Remove(token);
                    _tokens.Remove(token);
                }
            }
        }
    }

    private static string NormalizeSpace(string text)
    {
        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = sb.Length > 0;
                continue;
            }

            if (space)
            {
                sb.Append(' ');
                space = false;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}
