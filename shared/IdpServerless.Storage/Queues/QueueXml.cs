using System.Text;
using System.Xml;

namespace IdpServerless.Storage.Internal;

/// <summary>How message text looks inside the Queue service's XML body, to decide whether it fits inline.</summary>
internal static class QueueXml
{
    /// <summary>
    /// Escapes message text for element content. Returns null when the text holds characters XML 1.0 cannot
    /// carry at all (such text must travel through a blob). CR is written as a character reference so XML
    /// line-end normalisation does not turn "\r\n" into "\n".
    /// </summary>
    public static string? Escape(string text)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            string? replacement = c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\r' => "&#13;",
                _ => null,
            };
            if (replacement is null)
            {
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    sb?.Append(c).Append(text[i + 1]);
                    i++;
                    continue;
                }

                if (!XmlConvert.IsXmlChar(c))
                {
                    return null;
                }

                sb?.Append(c);
                continue;
            }

            sb ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
            sb.Append(replacement);
        }

        return sb?.ToString() ?? text;
    }
}
