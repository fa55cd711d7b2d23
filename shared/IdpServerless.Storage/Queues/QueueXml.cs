using System.Xml;

namespace IdpServerless.Storage.Internal;

/// <summary>How message text looks inside the Queue service's XML body, to decide whether it fits inline.</summary>
internal static class QueueXml
{
    /// <summary>
    /// The UTF-8 size of the text as XML element content (<c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c> and CR written as
    /// references), counted without building it; -1 when the text holds characters XML 1.0 cannot carry at all (such
    /// text must travel through a blob).
    /// </summary>
    public static int EscapedUtf8Length(string text)
    {
        var bytes = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '&' or '>' or '<':
                    bytes += c == '&' ? 5 : 4;
                    continue;
                case '\r':
                    bytes += 5;
                    continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                bytes += 4;
                i++;
                continue;
            }

            if (!XmlConvert.IsXmlChar(c))
            {
                return -1;
            }

            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        }

        return bytes;
    }
}
