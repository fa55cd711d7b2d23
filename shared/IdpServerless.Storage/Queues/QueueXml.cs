using System.Globalization;
using System.Text;
using System.Xml;

namespace IdpServerless.Storage.Internal;

/// <summary>XML bodies of the Queue service: the message envelope and message lists.</summary>
internal static class QueueXml
{
    /// <summary>Raw fields of one &lt;QueueMessage&gt; element.</summary>
    internal sealed class RawMessage
    {
        public string MessageId { get; set; } = string.Empty;

        public string PopReceipt { get; set; } = string.Empty;

        public string Text { get; set; } = string.Empty;

        public long DequeueCount { get; set; }

        public DateTimeOffset InsertionTime { get; set; }

        public DateTimeOffset ExpirationTime { get; set; }

        public DateTimeOffset NextVisibleTime { get; set; } = DateTimeOffset.MinValue;
    }

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

    public static byte[] Envelope(string escapedText) =>
        Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText>" + escapedText + "</MessageText></QueueMessage>");

    public static List<RawMessage> ReadList(Stream stream)
    {
        var messages = new List<RawMessage>();
        using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        RawMessage? current = null;
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element)
            {
                if (reader.LocalName == "QueueMessage")
                {
                    current = new RawMessage();
                    messages.Add(current);
                }
                else if (current is not null && reader.Depth == 2)
                {
                    var name = reader.LocalName;
                    var value = reader.ReadElementContentAsString();
                    Assign(current, name, value);
                    continue;
                }
            }

            reader.Read();
        }

        return messages;
    }

    private static void Assign(RawMessage message, string name, string value)
    {
        switch (name)
        {
            case "MessageId":
                message.MessageId = value;
                break;
            case "PopReceipt":
                message.PopReceipt = value;
                break;
            case "MessageText":
                message.Text = value;
                break;
            case "DequeueCount":
                message.DequeueCount = long.Parse(value, CultureInfo.InvariantCulture);
                break;
            case "InsertionTime":
                message.InsertionTime = ParseDate(value);
                break;
            case "ExpirationTime":
                message.ExpirationTime = ParseDate(value);
                break;
            case "TimeNextVisible":
                message.NextVisibleTime = ParseDate(value);
                break;
        }
    }

    public static DateTimeOffset ParseDate(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
