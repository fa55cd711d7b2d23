namespace IdpServerless.Functions.Docs.Rendering;

/// <summary>Reads one HTML tag (or comment) starting at a '&lt;', as the sanitizer needs it: lowercased name, closing flag, raw attributes.</summary>
internal static class TagReader
{
    internal sealed record Tag(string Name, bool Closing, bool SelfClosing, IReadOnlyList<(string Name, string? Value)> Attributes);

    public static bool TryRead(string html, int start, out Tag tag, out int end)
    {
        tag = new Tag(string.Empty, false, false, []);
        end = start;
        var i = start + 1;
        if (i >= html.Length)
        {
            return false;
        }

        if (html[i] == '!' || html[i] == '?')
        {
            var close = html.StartsWith("<!--", StringComparison.Ordinal) ? html.IndexOf("-->", start + 4, StringComparison.Ordinal) : html.IndexOf('>', i);
            if (close < 0)
            {
                return false;
            }

            end = close + (html[close] == '>' ? 1 : 3);
            return true;
        }

        var closing = html[i] == '/';
        if (closing)
        {
            i++;
        }

        if (i >= html.Length || !char.IsAsciiLetter(html[i]))
        {
            return false;
        }

        var nameStart = i;
        while (i < html.Length && (char.IsAsciiLetterOrDigit(html[i]) || html[i] == '-'))
        {
            i++;
        }

        var name = html[nameStart..i].ToLowerInvariant();
        var attributes = new List<(string, string?)>();
        var selfClosing = false;
        while (true)
        {
            while (i < html.Length && char.IsWhiteSpace(html[i]))
            {
                i++;
            }

            if (i >= html.Length)
            {
                return false;
            }

            if (html[i] == '>')
            {
                i++;
                break;
            }

            if (html[i] == '/')
            {
                selfClosing = true;
                i++;
                continue;
            }

            var attrStart = i;
            while (i < html.Length && !char.IsWhiteSpace(html[i]) && html[i] is not ('=' or '>' or '/'))
            {
                i++;
            }

            var attrName = html[attrStart..i];
            string? value = null;
            while (i < html.Length && char.IsWhiteSpace(html[i]))
            {
                i++;
            }

            if (i < html.Length && html[i] == '=')
            {
                i++;
                while (i < html.Length && char.IsWhiteSpace(html[i]))
                {
                    i++;
                }

                if (i >= html.Length)
                {
                    return false;
                }

                if (html[i] is '"' or '\'')
                {
                    var quote = html[i];
                    var close = html.IndexOf(quote, i + 1);
                    if (close < 0)
                    {
                        return false;
                    }

                    value = html[(i + 1)..close];
                    i = close + 1;
                }
                else
                {
                    var valueStart = i;
                    while (i < html.Length && !char.IsWhiteSpace(html[i]) && html[i] != '>')
                    {
                        i++;
                    }

                    value = html[valueStart..i];
                }
            }

            if (attrName.Length > 0)
            {
                attributes.Add((attrName, value));
            }
        }

        tag = new Tag(name, closing, selfClosing, attributes);
        end = i;
        return true;
    }
}
