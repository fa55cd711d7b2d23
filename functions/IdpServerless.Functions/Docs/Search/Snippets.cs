using System.Net;
using System.Text;

namespace IdpServerless.Functions.Docs.Search;

/// <summary>A short excerpt around the first match, HTML-escaped, with every word that starts with a search word in <c>&lt;mark&gt;</c>.</summary>
public static class Snippets
{
    private const int Before = 60;
    private const int After = 140;

    public static string Make(string text, string title, IReadOnlyList<string> words)
    {
        var at = FirstMatch(text, words);
        if (at < 0)
        {
            // The match was in the title or a heading only: show the page's opening words.
            at = 0;
        }

        var start = Math.Max(0, at - Before);
        var end = Math.Min(text.Length, at + After);
        while (start > 0 && !char.IsWhiteSpace(text[start - 1]) && at - start < Before + 20)
        {
            start--;
        }

        while (end < text.Length && !char.IsWhiteSpace(text[end]) && end - at < After + 20)
        {
            end++;
        }

        var sb = new StringBuilder();
        if (start > 0)
        {
            sb.Append('…');
        }

        var i = start;
        while (i < end)
        {
            if (!char.IsLetterOrDigit(text[i]))
            {
                sb.Append(WebUtility.HtmlEncode(text[i].ToString()));
                i++;
                continue;
            }

            var j = i;
            while (j < end && char.IsLetterOrDigit(text[j]))
            {
                j++;
            }

            var word = text[i..j];
            var encoded = WebUtility.HtmlEncode(word);
            sb.Append(Matches(word, words) ? "<mark>" + encoded + "</mark>" : encoded);
            i = j;
        }

        if (end < text.Length)
        {
            sb.Append('…');
        }

        return sb.Length == 0 ? WebUtility.HtmlEncode(title) : sb.ToString();
    }

    private static int FirstMatch(string text, IReadOnlyList<string> words)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsLetterOrDigit(text[i]) || (i > 0 && char.IsLetterOrDigit(text[i - 1])))
            {
                continue;
            }

            var j = i;
            while (j < text.Length && char.IsLetterOrDigit(text[j]))
            {
                j++;
            }

            if (Matches(text[i..j], words))
            {
                return i;
            }

            i = j;
        }

        return -1;
    }

    private static bool Matches(string word, IReadOnlyList<string> words)
    {
        var lower = word.ToLowerInvariant();
        return words.Any(w => lower.StartsWith(w, StringComparison.Ordinal));
    }
}
