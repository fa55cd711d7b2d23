using System.Text.Json;
using System.Text.RegularExpressions;

namespace IdpServerless.Tests.Sweep;

/// <summary>One operation of the app's OpenAPI document: method, path template, its parameters and body schema.</summary>
public sealed record OpenApiOperation(string Method, string Path, IReadOnlyList<string> PathParameters, IReadOnlyList<string> QueryParameters,
    bool HasBody, IReadOnlyList<string> BodyProperties)
{
    public override string ToString() => $"{Method} {Path}";

    /// <summary>The path with each parameter replaced by <paramref name="valueOf"/>'s value for its name (escaped as it should travel).</summary>
    public string PathWith(Func<string, string> valueOf) =>
        Regex.Replace(Path, @"\{\*?([^}]+)\}", m => valueOf(m.Groups[1].Value), RegexOptions.None, TimeSpan.FromSeconds(1));

    /// <summary>True when <paramref name="concrete"/> is a path this operation's template matches.</summary>
    public bool Matches(string concrete) =>
        Regex.IsMatch(concrete, "^" + Regex.Replace(Regex.Escape(Path).Replace(@"\{", "{", StringComparison.Ordinal), @"\{\*?[^}]+}", "[^/]+", RegexOptions.None, TimeSpan.FromSeconds(1)) + "$",
            RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
}

/// <summary>Reads the operations out of an OpenAPI 3 document (resolving local <c>$ref</c>s of request bodies).</summary>
public static class OpenApiOperations
{
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    public static List<OpenApiOperation> Read(JsonElement document)
    {
        var operations = new List<OpenApiOperation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            var shared = path.Value.TryGetProperty("parameters", out var sp) ? sp.EnumerateArray().ToList() : [];
            foreach (var method in Methods)
            {
                if (!path.Value.TryGetProperty(method, out var op))
                {
                    continue;
                }

                var parameters = shared.Concat(op.TryGetProperty("parameters", out var p) ? p.EnumerateArray() : []).Select(x => Resolve(document, x)).ToList();
                var body = op.TryGetProperty("requestBody", out var rb) ? Resolve(document, rb) : (JsonElement?)null;
                var schema = body is { } b && b.TryGetProperty("content", out var content)
                    ? content.EnumerateObject().Select(c => c.Value.TryGetProperty("schema", out var s) ? Resolve(document, s) : (JsonElement?)null).FirstOrDefault(s => s is not null)
                    : null;
                operations.Add(new OpenApiOperation(
                    method.ToUpperInvariant(),
                    path.Name,
                    Names(parameters, "path"),
                    Names(parameters, "query"),
                    body is not null,
                    schema is { } sc && sc.TryGetProperty("properties", out var props) ? props.EnumerateObject().Select(x => x.Name).ToList() : []));
            }
        }

        return operations;
    }

    private static List<string> Names(IEnumerable<JsonElement> parameters, string location) =>
        parameters.Where(x => x.TryGetProperty("in", out var i) && i.GetString() == location).Select(x => x.GetProperty("name").GetString()!).ToList();

    private static JsonElement Resolve(JsonElement document, JsonElement element)
    {
        for (var hops = 0; hops < 10 && element.ValueKind == JsonValueKind.Object && element.TryGetProperty("$ref", out var r); hops++)
        {
            var target = document;
            foreach (var part in r.GetString()!.TrimStart('#', '/').Split('/'))
            {
                target = target.GetProperty(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));
            }

            element = target;
        }

        return element;
    }
}
