using AngleSharp.Dom;
using Ganss.Xss;

namespace IdpServerless.Functions.Docs.Rendering;

/// <summary>
/// The allow-list for rendered Markdown, enforced by Ganss.Xss HtmlSanitizer (AngleSharp's HTML5 parser, then an
/// allow-list of tags, attributes and URL schemes): only listed tags survive, unknown ones leave their text, script-like
/// elements go with their content, URLs must be relative or http(s) (mailto for links, never protocol-relative), ids
/// and classes must be plain tokens, no <c>style</c> and no <c>on*</c>, and what is kept is serialized anew.
/// </summary>
public static class DocsHtml
{
    private static readonly string[] Tags =
    [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "sub", "sup",
        "small", "q", "cite", "code", "pre", "kbd", "samp", "var", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table", "caption",
        "thead", "tbody", "tfoot", "tr", "th", "td", "a", "img", "div", "span", "figure", "figcaption", "abbr", "section", "footer", "input",
    ];

    // Elements whose content is never text for the reader: dropped together with everything inside.
    private static readonly HashSet<string> DropWithContent = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "title", "xmp", "svg", "math",
        "frameset", "frame", "noembed", "noframes", "select", "applet", "audio", "video", "canvas", "plaintext", "head",
    };

    // Which attribute each tag may keep, beyond id, class and title on every tag (the library's lists are global).
    private static readonly Dictionary<string, string[]> PerTag = new(StringComparer.OrdinalIgnoreCase)
    {
        ["a"] = ["href", "rel"],
        ["img"] = ["src", "alt", "width", "height"],
        ["ol"] = ["start"],
        ["td"] = ["colspan", "rowspan"],
        ["th"] = ["colspan", "rowspan"],
        ["input"] = ["type", "checked", "disabled"],
    };

    private static readonly HtmlSanitizer Sanitizer = Create();

    /// <summary>True for an id or class token made only of letters, digits, '-' and '_' (at most 200 characters).</summary>
    public static bool IsSafeId(string value) =>
        value.Length is > 0 and <= 200 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The allowed subset of <paramref name="html"/> (a body fragment). Thread-safe.</summary>
    public static string Sanitize(string html) => Sanitizer.Sanitize(html);

    private static HtmlSanitizer Create()
    {
        var options = new HtmlSanitizerOptions
        {
            AllowedTags = new HashSet<string>(Tags, StringComparer.OrdinalIgnoreCase),
            AllowedAttributes = new HashSet<string>(["id", "class", "title", .. PerTag.Values.SelectMany(a => a)], StringComparer.OrdinalIgnoreCase),
            AllowedSchemes = new HashSet<string>(["http", "https", "mailto"], StringComparer.OrdinalIgnoreCase),
            UriAttributes = new HashSet<string>(["href", "src"], StringComparer.OrdinalIgnoreCase),
            AllowedCssProperties = new HashSet<string>(),
            AllowedAtRules = new HashSet<AngleSharp.Css.Dom.CssRuleType>(),
        };
        var sanitizer = new HtmlSanitizer(options) { KeepChildNodes = true, AllowDataAttributes = false };
        sanitizer.RemovingTag += (_, e) =>
        {
            if (DropWithContent.Contains(e.Tag.LocalName))
            {
                e.Tag.TextContent = string.Empty; // the library then removes it whole instead of keeping its children
            }
        };
        sanitizer.FilterUrl += (_, e) =>
            e.SanitizedUrl = e.SanitizedUrl is null ? null : SafeUrl(e.OriginalUrl, image: e.Tag.LocalName == "img");
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is IElement element)
            {
                Constrain(element);
            }
        };
        return sanitizer;
    }

    private static void Constrain(IElement element)
    {
        var tag = element.LocalName;
        PerTag.TryGetValue(tag, out var allowed);
        foreach (var attribute in element.Attributes.ToList())
        {
            var name = attribute.LocalName;
            var value = attribute.Value;
            var keep = name switch
            {
                "id" => IsSafeId(value),
                "class" => value.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 and <= 10 } tokens && tokens.All(IsSafeId),
                "title" => true,
                _ when allowed is null || !allowed.Contains(name, StringComparer.Ordinal) => false,
                "width" or "height" or "start" or "colspan" or "rowspan" => value is { Length: > 0 and <= 6 } && value.All(char.IsAsciiDigit),
                "type" => value == "checkbox",
                "rel" or "disabled" => false, // set below, never taken from the input
                _ => true,
            };
            if (!keep)
            {
                element.RemoveAttribute(name);
            }
        }

        switch (tag)
        {
            case "input" when element.GetAttribute("type") != "checkbox":
            case "img" when !element.HasAttribute("src"):
                element.Remove();
                break;
            case "input":
                element.SetAttribute("disabled", string.Empty);
                break;
            case "a" when element.GetAttribute("href") is { } href && href.StartsWith("http", StringComparison.OrdinalIgnoreCase):
                element.SetAttribute("rel", "noopener noreferrer nofollow");
                break;
        }
    }

    /// <summary>A link or image URL as rendered docs may carry it, or null: relative (not protocol-relative), or an allowed scheme.</summary>
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
}
