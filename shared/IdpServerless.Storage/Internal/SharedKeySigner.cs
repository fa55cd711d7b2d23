using System.Security.Cryptography;
using System.Text;

namespace IdpServerless.Storage.Internal;

/// <summary>
/// Builds Shared Key (blob, queue) and Shared Key Lite (table) strings-to-sign from a ready request and signs
/// them with HMAC-SHA256 over the account key. See "Authorize with Shared Key" in the Azure Storage REST docs.
/// </summary>
internal static class SharedKeySigner
{
    /// <summary>Full Shared Key string-to-sign (service version 2015-02-21 and later).</summary>
    public static string BuildStringToSign(HttpRequestMessage request, string accountName)
    {
        var sb = new StringBuilder(256);
        sb.Append(request.Method.Method).Append('\n');
        sb.Append(ContentHeader(request, "Content-Encoding")).Append('\n');
        sb.Append(ContentHeader(request, "Content-Language")).Append('\n');
        var length = request.Content?.Headers.ContentLength ?? 0;
        if (length > 0)
        {
            sb.Append(length);
        }

        sb.Append('\n');
        sb.Append(ContentHeader(request, "Content-MD5")).Append('\n');
        sb.Append(ContentHeader(request, "Content-Type")).Append('\n');
        sb.Append('\n'); // Date: x-ms-date is used instead.
        sb.Append(RequestHeader(request, "If-Modified-Since")).Append('\n');
        sb.Append(RequestHeader(request, "If-Match")).Append('\n');
        sb.Append(RequestHeader(request, "If-None-Match")).Append('\n');
        sb.Append(RequestHeader(request, "If-Unmodified-Since")).Append('\n');
        sb.Append(RequestHeader(request, "Range")).Append('\n');

        var msHeaders = new List<KeyValuePair<string, string>>();
        foreach (var header in request.Headers.NonValidated)
        {
            if (header.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            {
                msHeaders.Add(new(header.Key.ToLowerInvariant(), string.Join(',', header.Value).Trim()));
            }
        }

        msHeaders.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var (name, value) in msHeaders)
        {
            sb.Append(name).Append(':').Append(value).Append('\n');
        }

        var uri = request.RequestUri!;
        sb.Append('/').Append(accountName).Append(uri.AbsolutePath);
        AppendCanonicalQuery(sb, uri.Query);
        return sb.ToString();
    }

    /// <summary>Shared Key Lite string-to-sign for the Table service: date, newline, canonicalized resource.</summary>
    public static string BuildLiteStringToSign(HttpRequestMessage request, string accountName)
    {
        var uri = request.RequestUri!;
        var sb = new StringBuilder(128);
        sb.Append(RequestHeader(request, "x-ms-date")).Append('\n');
        sb.Append('/').Append(accountName).Append(uri.AbsolutePath);
        foreach (var (name, value) in ParseQuery(uri.Query))
        {
            if (name.Equals("comp", StringComparison.OrdinalIgnoreCase))
            {
                sb.Append("?comp=").Append(value);
                break;
            }
        }

        return sb.ToString();
    }

    /// <summary>Base64 HMAC-SHA256 of the UTF-8 string-to-sign.</summary>
    public static string Sign(string stringToSign, byte[] key)
    {
        var byteCount = Encoding.UTF8.GetByteCount(stringToSign);
        Span<byte> hash = stackalloc byte[32];
        if (byteCount <= 1024)
        {
            Span<byte> data = stackalloc byte[byteCount];
            Encoding.UTF8.GetBytes(stringToSign, data);
            HMACSHA256.HashData(key, data, hash);
        }
        else
        {
            HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign), hash);
        }

        return Convert.ToBase64String(hash);
    }

    private static void AppendCanonicalQuery(StringBuilder sb, string query)
    {
        if (query.Length <= 1)
        {
            return;
        }

        var grouped = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, value) in ParseQuery(query))
        {
            var lower = name.ToLowerInvariant();
            if (!grouped.TryGetValue(lower, out var values))
            {
                grouped[lower] = values = [];
            }

            values.Add(value);
        }

        foreach (var (name, values) in grouped)
        {
            values.Sort(StringComparer.Ordinal);
            sb.Append('\n').Append(name).Append(':').AppendJoin(',', values);
        }
    }

    private static IEnumerable<(string Name, string Value)> ParseQuery(string query)
    {
        if (query.Length <= 1)
        {
            yield break;
        }

        foreach (var pair in query[1..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? string.Empty : pair[(eq + 1)..];
            yield return (Uri.UnescapeDataString(name), Uri.UnescapeDataString(value));
        }
    }

    private static string ContentHeader(HttpRequestMessage request, string name) =>
        request.Content is not null && request.Content.Headers.NonValidated.TryGetValues(name, out var values)
            ? string.Join(',', values)
            : string.Empty;

    private static string RequestHeader(HttpRequestMessage request, string name) =>
        request.Headers.NonValidated.TryGetValues(name, out var values) ? string.Join(',', values) : string.Empty;
}
