using System.Net;
using System.Text;

namespace IdpServerless.Functions.Docs.Rendering;

/// <summary>
/// An allow-list HTML sanitizer for rendered Markdown: only listed tags and attributes survive, URLs must be relative
/// or http(s) (mailto for links), ids and classes must be plain tokens, and the content of script-like elements is
/// dropped with them. It re-serializes what it keeps, so nothing it did not understand reaches the output unescaped.
/// </summary>
public static class HtmlSanitizer
{
    private static readonly HashSet<string> Tags = new(StringComparer.Ordinal)
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "sub", "sup",
        "small", "q", "cite", "code", "pre", "kbd", "samp", "var", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table", "caption",
        "thead", "tbody", "tfoot", "tr", "th", "td", "a", "img", "div", "span", "figure", "figcaption", "abbr", "section", "footer", "input",
    };

    private static readonly HashSet<string> VoidTags = new(StringComparer.Ordinal) { "br", "hr", "img", "input" };

    // Elements whose content is never text for the reader: dropped together with everything inside.
    private static readonly HashSet<string> DropWithContent = new(StringComparer.Ordinal)
    {
        "script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "title", "xmp", "svg", "math",
        "frameset", "frame", "noembed", "noframes", "select", "applet", "audio", "video", "canvas", "plaintext", "head",
    };

    /// <summary>True for an id or class token made only of letters, digits, '-' and '_' (at most 200 characters).</summary>
    public static bool IsSafeId(string value) =>
        value.Length is > 0 and <= 200 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static string Sanitize(string html)
    {
        var output = new StringBuilder(html.Length);
        var open = new List<string>();
        string? skipping = null;
        var i = 0;
        while (i < html.Length)
        {
            var lt = html.IndexOf('<', i);
            if (lt < 0)
            {
                if (skipping is null)
                {
                    AppendText(output, html.AsSpan(i));
                }

                break;
            }

            if (skipping is null)
            {
                AppendText(output, html.AsSpan(i, lt - i));
            }

            if (!TagReader.TryRead(html, lt, out var tag, out var end))
            {
                if (skipping is null)
                {
                    output.Append("&lt;");
                }

                i = lt + 1;
                continue;
            }

            i = end;
            if (skipping is not null)
            {
                if (tag.Closing && tag.Name == skipping)
                {
                    skipping = null;
                }

                continue;
            }

            if (tag.Name.Length == 0)
            {
                continue; // comment, doctype or processing instruction
            }

            if (DropWithContent.Contains(tag.Name))
            {
                if (!tag.Closing && !tag.SelfClosing)
                {
                    skipping = tag.Name;
                }

                continue;
            }

            if (!Tags.Contains(tag.Name))
            {
                continue;
            }

            if (tag.Closing)
            {
                var at = open.LastIndexOf(tag.Name);
                if (at < 0)
                {
                    continue;
                }

                for (var k = open.Count - 1; k >= at; k--)
                {
                    output.Append("</").Append(open[k]).Append('>');
                }

                open.RemoveRange(at, open.Count - at);
                continue;
            }

            if (!AppendOpen(output, tag))
            {
                continue;
            }

            if (!VoidTags.Contains(tag.Name))
            {
                open.Add(tag.Name);
            }
        }

        for (var k = open.Count - 1; k >= 0; k--)
        {
            output.Append("</").Append(open[k]).Append('>');
        }

        return output.ToString();
    }

    private static bool AppendOpen(StringBuilder output, TagReader.Tag tag)
    {
        var kept = new List<(string Name, string? Value)>();
        foreach (var (rawName, rawValue) in tag.Attributes)
        {
            var name = rawName.ToLowerInvariant();
            var value = rawValue is null ? null : WebUtility.HtmlDecode(rawValue);
            if (kept.Any(k => k.Name == name))
            {
                continue;
            }

            var keep = (tag.Name, name) switch
            {
                (_, "id") => value is not null && IsSafeId(value),
                (_, "class") => value is not null && value.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 and <= 10 } tokens && tokens.All(IsSafeId),
                (_, "title") => value is not null,
                ("a", "href") => (value = SafeUrl(value, image: false)) is not null,
                ("img", "src") => (value = SafeUrl(value, image: true)) is not null,
                ("img", "alt") => value is not null,
                ("img", "width" or "height") or ("ol", "start") or ("td" or "th", "colspan" or "rowspan") => value is { Length: > 0 and <= 6 } && value.All(char.IsAsciiDigit),
                ("input", "type") => value == "checkbox",
                ("input", "checked") => true,
                _ => false,
            };
            if (keep)
            {
                kept.Add((name, name == "checked" ? null : value));
            }
        }

        if (tag.Name == "input")
        {
            if (!kept.Any(k => k.Name == "type"))
            {
                return false;
            }

            kept.Add(("disabled", null));
        }

        if (tag.Name == "img" && !kept.Any(k => k.Name == "src"))
        {
            return false;
        }

        output.Append('<').Append(tag.Name);
        foreach (var (name, value) in kept)
        {
            output.Append(' ').Append(name);
            if (value is not null)
            {
                output.Append("=\"");
                AppendEncoded(output, value);
                output.Append('"');
            }
        }

        if (tag.Name == "a" && kept.FirstOrDefault(k => k.Name == "href").Value is { } href && href.StartsWith("http", StringComparison.OrdinalIgnoreCase))
        {
            output.Append(" rel=\"noopener noreferrer nofollow\"");
        }

        output.Append('>');
        return true;
    }

    /// <summary>A URL that may stay: a fragment, a path relative to this origin, or http(s) (mailto for links).</summary>
    internal static string? SafeUrl(string? value, bool image)
    {
        if (value is null)
        {
            return null;
        }

        var trimmed = value.Trim();
        if (trimmed.Length == 0 || trimmed.Length > 4096)
        {
            return null;
        }

        var compact = new string(trimmed.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray());
        var colon = compact.IndexOf(':', StringComparison.Ordinal);
        var delimiter = compact.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (delimiter >= 0 && delimiter < colon))
        {
            // Relative: no scheme at all ("//host" would be protocol-relative, so it must have an explicit scheme).
            return compact.StartsWith("//", StringComparison.Ordinal) || compact.Contains('\\', StringComparison.Ordinal) ? null : trimmed;
        }

        return MarkdownRenderer.SafeScheme(trimmed, image);
    }

    private static void AppendText(StringBuilder output, ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '<':
                    output.Append("&lt;");
                    break;
                case '>':
                    output.Append("&gt;");
                    break;
                case '&':
                    output.Append(IsEntity(text[i..]) ? "&" : "&amp;");
                    break;
                default:
                    output.Append(c);
                    break;
            }
        }
    }

    private static bool IsEntity(ReadOnlySpan<char> text)
    {
        var end = text.IndexOf(';');
        if (end < 2 || end > 32)
        {
            return false;
        }

        var body = text[1..end];
        return body[0] == '#'
            ? body.Length > 1 && (body[1] is 'x' or 'X' ? body.Length > 2 && body[2..].ToString().All(char.IsAsciiHexDigit) : body[1..].ToString().All(char.IsAsciiDigit))
            : body.ToString().All(char.IsAsciiLetterOrDigit);
    }

    private static void AppendEncoded(StringBuilder output, string value)
    {
        foreach (var c in value)
        {
            output.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }
    }
}
