using System.Text;

namespace IdpServerless.Tests.Sweep;

/// <summary>One request of the sweep and what it must get: never a 5xx; <see cref="MustBe"/> when set.</summary>
public sealed record HostileRequest(string Why, HttpMethod Method, string Url, byte[]? Body, string? ContentType, int? MustBe = null, IReadOnlyList<string>? Allow = null);

/// <summary>The hostile input the sweep sends: junk path values, bad query values, broken and oversized bodies, wrong content types and methods.</summary>
public static class HostileRequests
{
    /// <summary>Path values as they travel (already escaped where they must be).</summary>
    public static readonly string[] PathJunk =
    [
        "zz-sweep", "%00", "..%2F..%2Fetc%2Fpasswd", "%252e%252e%252f", "a%2Fb", new('x', 3000), "%E0%A4%A", "%FF%FE",
        "%F0%9F%98%80%C3%BC", "'%20OR%201%3D1--", "-1", "null", "%20", "%3Cscript%3E", "a:b", "CON", "~", "%C0%AE%C0%AE",
    ];

    private static readonly string[] QueryJunk = ["abc", "-99999999999999999999", new('q', 4000), "%E0%A4%A", "%00", "1e400", "%5B%5D", "2026-13-45T99:99:99Z", ""];

    /// <summary>Query names handlers read by hand (not always in the document), tried on every GET.</summary>
    private static readonly string[] CommonQuery =
    [
        "limit", "offset", "cursor", "filter", "fields", "orderField", "top", "max", "ref", "path", "branch", "after", "days",
        "from", "to", "term", "kind", "component", "environment", "status", "runtimeStatus", "createdFrom", "continuationToken", "olderThan",
    ];

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "FOO"];

    /// <summary>Path values that exist in the demo data (or are at least well-formed), so junk elsewhere reaches the handler.</summary>
    private static readonly Dictionary<string, string> Good = new(StringComparer.OrdinalIgnoreCase)
    {
        ["kind"] = "component", ["namespace"] = "default", ["ns"] = "default", ["name"] = "payments-service",
        ["owner"] = "demo", ["eventName"] = "approval", ["action"] = "pause",
    };

    private static string GoodValue(string parameter) => Good.GetValueOrDefault(parameter, "zz-sweep");

    public static IEnumerable<HostileRequest> For(OpenApiOperation op, IReadOnlyList<OpenApiOperation> all, int maxBody)
    {
        var method = new HttpMethod(op.Method);
        var plain = op.PathWith(GoodValue);
        var takesBody = op.Method is not ("GET" or "DELETE") || op.HasBody;
        var empty = takesBody ? Json("{}") : null;
        foreach (var parameter in op.PathParameters)
        {
            foreach (var junk in PathJunk)
            {
                var url = op.PathWith(p => p == parameter ? junk : GoodValue(p));
                yield return new($"path {parameter}={Short(junk)}", method, url, empty, takesBody ? "application/json" : null);
            }
        }

        foreach (var name in op.QueryParameters.Concat(op.Method == "GET" ? CommonQuery : []).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            // Declared parameters get every junk value; the names tried on spec get the four that break parsers most.
            foreach (var junk in op.QueryParameters.Contains(name) ? QueryJunk : QueryJunk[..4])
            {
                yield return new($"query {name}={Short(junk)}", method, $"{plain}?{name}={junk}", empty, takesBody ? "application/json" : null);
            }
        }

        yield return new("every query value junk", method, plain + "?" + string.Join('&', op.QueryParameters.Concat(CommonQuery).Select(q => $"{q}=%00&{q}=-1")), empty, takesBody ? "application/json" : null);

        if (op.Method != "GET")
        {
            foreach (var (why, body, type) in Bodies(op, maxBody))
            {
                yield return new(why, method, plain, body, type);
            }

            yield return new("a body over IDP_MAX_REQUEST_BYTES", method, plain, Json("[\"" + new string('z', maxBody + 4096) + "\"]"), "application/json", MustBe: 413);
        }

        var declared = all.Where(o => o.Path == op.Path).Select(o => o.Method).ToList();
        if (declared[0] == op.Method)
        {
            foreach (var wrong in Methods.Except(declared).Where(m => !(m == "HEAD" && declared.Contains("GET"))))
            {
                var other = all.Any(o => o.Method == wrong && o.Path != op.Path && o.Matches(plain));
                yield return new($"wrong method {wrong}", new HttpMethod(wrong), plain, null, null, MustBe: other ? null : 405, Allow: other ? null : declared);
            }
        }
    }

    private static IEnumerable<(string Why, byte[] Body, string? Type)> Bodies(OpenApiOperation op, int maxBody)
    {
        const string J = "application/json";
        yield return ("truncated JSON", Json("{\"a\":"), J);
        yield return ("a JSON array 100,000 deep", Json(new string('[', 100_000) + new string(']', 100_000)), J);
        yield return ("a JSON object 20,000 deep", Json(string.Concat(Enumerable.Repeat("{\"a\":", 20_000)) + "1" + new string('}', 20_000)), J);
        yield return ("JSON just under the size limit", Json("{\"big\":\"" + new string('y', maxBody - 1024) + "\"}"), J);
        yield return ("JSON with 20,000 keys", Json("{" + string.Join(',', Enumerable.Range(0, 20_000).Select(i => $"\"k{i}\":{i}")) + "}"), J);
        foreach (var scalar in new[] { "[]", "\"text\"", "123", "null", "true", "-1e400", "\"\\ud800\"" })
        {
            yield return ($"JSON {scalar}", Json(scalar), J);
        }

        yield return ("invalid UTF-8 in JSON", [.. Encoding.ASCII.GetBytes("{\"a\":\""), 0xFF, 0xFE, 0xC0, .. Encoding.ASCII.GetBytes("\"}")], J);
        if (op.BodyProperties.Count > 0)
        {
            foreach (var (kind, value) in new[] { ("objects", "{\"x\":[1]}"), ("arrays", "[[],{}]"), ("numbers", "1e308"), ("booleans", "false"), ("nulls", "null"), ("100,000-character strings", "\"" + new string('s', 100_000) + "\"") })
            {
                yield return ($"every field {kind}", Json("{" + string.Join(',', op.BodyProperties.Select(p => $"\"{p}\":{value}")) + "}"), J);
            }
        }

        yield return ("text/plain", Encoding.UTF8.GetBytes("hello"), "text/plain");
        yield return ("XML", Encoding.UTF8.GetBytes("<a><b>1</b></a>"), "application/xml");
        yield return ("a broken form", Encoding.UTF8.GetBytes("a=1&b&=&%zz=%E0%A4%A&payload=%7B"), "application/x-www-form-urlencoded");
        yield return ("multipart without its boundary", Encoding.UTF8.GetBytes("--x\r\n\r\nhi\r\n--x--"), "multipart/form-data");
        yield return ("JSON as UTF-32", Encoding.UTF32.GetBytes("{}"), "application/json; charset=utf-32");
        yield return ("JSON without a content type", Encoding.UTF8.GetBytes("{}"), null);
        yield return ("a nonsense content type", Encoding.UTF8.GetBytes("{}"), "x/y; ;;==");
    }

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private static string Short(string s) => s.Length > 24 ? $"{s[..12]}…({s.Length} chars)" : s;
}
