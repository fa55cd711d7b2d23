using System.Globalization;
using System.Text;

namespace IdpServerless.Storage.Internal;

/// <summary>
/// Reads the multipart/mixed response of an entity group transaction: one embedded HTTP response per
/// operation on success, or a single error response whose message starts with the failing index ("N:...").
/// </summary>
internal static class TableBatchReader
{
    public static IReadOnlyList<TableBatchResult> Read(string body, int operationCount, string table)
    {
        var responses = ParseResponses(body);
        foreach (var r in responses)
        {
            if (r.Status >= 400)
            {
                throw ToException(r.Status, r.Body, r.ContentId, table);
            }
        }

        if (responses.Count != operationCount)
        {
            throw new StorageException(
                $"Submit batch /{table} returned {responses.Count} responses for {operationCount} operations.", 0, "UnexpectedBatchResponse");
        }

        return responses.Select(r => new TableBatchResult(r.Status, r.ETag)).ToList();
    }

    public static async Task ThrowForTopLevelFailureAsync(HttpResponseMessage response, StorageRequest request, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (status is 429 or 503)
        {
            await StorageTransport.ThrowIfFailedAsync(response, request, ct).ConfigureAwait(false);
        }

        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        throw ToException(status, body, null, StorageTransport.ResourcePath(request).TrimStart('/'));
    }

    internal static List<EmbeddedResponse> ParseResponses(string body)
    {
        var result = new List<EmbeddedResponse>();
        var lines = body.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (!line.StartsWith("HTTP/", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = line.Split(' ', 3);
            var status = parts.Length > 1 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
            string? etag = null;
            int? contentId = null;
            for (i++; i < lines.Length; i++)
            {
                var header = lines[i].TrimEnd('\r');
                if (header.Length == 0)
                {
                    break;
                }

                var colon = header.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    continue;
                }

                var name = header[..colon].Trim();
                var value = header[(colon + 1)..].Trim();
                if (name.Equals("ETag", StringComparison.OrdinalIgnoreCase))
                {
                    etag = value;
                }
                else if (name.Equals("Content-ID", StringComparison.OrdinalIgnoreCase)
                    && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    contentId = id;
                }
            }

            var bodyText = new StringBuilder();
            for (i++; i < lines.Length; i++)
            {
                var bodyLine = lines[i].TrimEnd('\r');
                if (bodyLine.StartsWith("--", StringComparison.Ordinal))
                {
                    i--;
                    break;
                }

                bodyText.Append(bodyLine).Append('\n');
            }

            result.Add(new EmbeddedResponse(status, etag, contentId, bodyText.ToString().Trim()));
        }

        return result;
    }

    private static StorageException ToException(int status, string body, int? contentId, string table)
    {
        string? code = null, message = null;
        var trimmed = body.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                (code, message) = StorageErrorReader.ParseJsonFull(Encoding.UTF8.GetBytes(trimmed));
            }
            catch (System.Text.Json.JsonException)
            {
                // Keep status only.
            }
        }

        var index = -1;
        if (message is not null)
        {
            var colon = message.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && int.TryParse(message.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                index = parsed;
                message = message[(colon + 1)..];
            }
        }

        if (index < 0 && contentId is > 0)
        {
            index = contentId.Value - 1;
        }

        var firstLine = message?.Split('\n')[0].Trim();
        var text = $"Submit batch /{table} failed at operation {index.ToString(CultureInfo.InvariantCulture)} with {status.ToString(CultureInfo.InvariantCulture)} ({code ?? "no error code"})"
            + (string.IsNullOrEmpty(firstLine) ? string.Empty : ": " + firstLine);
        return new StorageBatchException(text, status, code, index);
    }

    internal sealed record EmbeddedResponse(int Status, string? ETag, int? ContentId, string Body);
}
