using System.Text.Json;
using System.Xml;

namespace IdpServerless.Storage.Internal;

/// <summary>Extracts the error code and the first line of the message from a failed storage response.</summary>
internal static class StorageErrorReader
{
    private const int MaxMessageLength = 300;

    public static async Task<(string? Code, string? Message)> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string? code = response.Headers.TryGetValues("x-ms-error-code", out var values) ? values.FirstOrDefault() : null;
        string? message = null;
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            (var bodyCode, message) = Parse(body);
            code ??= bodyCode;
        }
        catch (Exception ex) when (ex is JsonException or XmlException or HttpRequestException or IOException)
        {
            // The status and header code are enough; a malformed error body must not hide them.
        }

        return (code, message);
    }

    /// <summary>Parses a JSON (<c>odata.error</c>) or XML (<c>&lt;Error&gt;</c>) error body.</summary>
    public static (string? Code, string? Message) Parse(ReadOnlySpan<byte> body)
    {
        var start = 0;
        while (start < body.Length && (body[start] is (byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t' or 0xEF or 0xBB or 0xBF))
        {
            start++;
        }

        if (start >= body.Length)
        {
            return (null, null);
        }

        return body[start] == (byte)'{' ? ParseJson(body[start..]) : ParseXml(body[start..].ToArray());
    }

    /// <summary>Full (multi-line) message of a JSON error body, e.g. to find a batch's "N:" prefix.</summary>
    public static (string? Code, string? FullMessage) ParseJsonFull(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var doc = JsonDocument.ParseValue(ref reader);
        if (!doc.RootElement.TryGetProperty("odata.error", out var error) && !doc.RootElement.TryGetProperty("error", out error))
        {
            return (null, null);
        }

        var code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        string? message = null;
        if (error.TryGetProperty("message", out var m))
        {
            message = m.ValueKind == JsonValueKind.String ? m.GetString()
                : m.ValueKind == JsonValueKind.Object && m.TryGetProperty("value", out var v) ? v.GetString()
                : null;
        }

        return (code, message);
    }

    private static (string? Code, string? Message) ParseJson(ReadOnlySpan<byte> body)
    {
        var (code, message) = ParseJsonFull(body);
        return (code, FirstLine(message));
    }

    private static (string? Code, string? Message) ParseXml(byte[] body)
    {
        using var stream = new MemoryStream(body);
        using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = true });
        string? code = null, message = null;
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Depth == 1 && reader.LocalName is "Code" or "Message")
            {
                var isCode = reader.LocalName == "Code";
                var text = reader.ReadElementContentAsString();
                if (isCode)
                {
                    code = text;
                }
                else
                {
                    message = text;
                }

                continue;
            }

            reader.Read();
        }

        return (code, FirstLine(message));
    }

    private static string? FirstLine(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return null;
        }

        var newline = message.IndexOfAny(['\r', '\n']);
        var line = (newline < 0 ? message : message[..newline]).Trim();
        return line.Length > MaxMessageLength ? line[..MaxMessageLength] + "..." : line;
    }
}
