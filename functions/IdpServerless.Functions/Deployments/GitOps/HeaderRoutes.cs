using System.Globalization;
using System.Text;

namespace IdpServerless.Functions.Deployments.GitOps;

/// <summary>How a header's value is matched (Argo Rollouts' <c>headerValue</c> keys).</summary>
public static class HeaderMatchTypes
{
    public const string Exact = "exact";
    public const string Prefix = "prefix";
    public const string Regex = "regex";

    public static bool IsKnown(string type) => type is Exact or Prefix or Regex;
}

/// <summary>One header condition of a header route.</summary>
public sealed record HeaderMatch(string HeaderName, string Type, string Value);

/// <summary>
/// A named route that sends requests carrying every one of <see cref="Match"/>'s headers to the canary, whatever the
/// weights say (Argo Rollouts' <c>setHeaderRoute</c>).
/// </summary>
public sealed record HeaderRoute(string Name, IReadOnlyList<HeaderMatch> Match);

/// <summary>Renders header routes as Gateway API HTTPRoute rules (and into <c>values.yaml</c>).</summary>
public static class HeaderRouteRules
{
    /// <summary>
    /// One rule per route, before the weighted rule: a single <c>matches</c> entry whose <c>headers</c> all must match
    /// (Gateway API ANDs the headers of one match), backed by the canary's Service alone. Gateway API knows
    /// <c>Exact</c> and <c>RegularExpression</c> header matches; a prefix becomes an anchored regular expression.
    /// </summary>
    public static void RenderRules(StringBuilder b, DesiredState s)
    {
        foreach (var r in s.HeaderRoutes ?? [])
        {
            b.Append(CultureInfo.InvariantCulture, $"    - name: {Q(r.Name)}\n      matches:\n        - headers:\n");
            foreach (var m in r.Match)
            {
                var (type, value) = m.Type switch
                {
                    HeaderMatchTypes.Exact => ("Exact", m.Value),
                    HeaderMatchTypes.Prefix => ("RegularExpression", "^" + EscapeRegex(m.Value) + ".*"),
                    _ => ("RegularExpression", m.Value),
                };
                b.Append(CultureInfo.InvariantCulture, $"            - name: {Q(m.HeaderName)}\n              type: {type}\n              value: {Q(value)}\n");
            }

            b.Append(CultureInfo.InvariantCulture, $"      backendRefs:\n        - name: {s.App}-{Tracks.Canary}\n          port: 80\n");
        }
    }

    public static void RenderValues(StringBuilder b, DesiredState s)
    {
        if (s.HeaderRoutes is not { Count: > 0 } routes)
        {
            return;
        }

        b.Append("headerRoutes:\n");
        foreach (var r in routes)
        {
            b.Append(CultureInfo.InvariantCulture, $"  - name: {Q(r.Name)}\n    match:\n");
            foreach (var m in r.Match)
            {
                b.Append(CultureInfo.InvariantCulture, $"      - headerName: {Q(m.HeaderName)}\n        type: {Q(m.Type)}\n        value: {Q(m.Value)}\n");
            }
        }
    }

    // RE2 (what gateways use) and .NET share these metacharacters.
    private static string EscapeRegex(string literal)
    {
        var b = new StringBuilder();
        foreach (var c in literal)
        {
            if ("\\.+*?()|[]{}^$".Contains(c, StringComparison.Ordinal))
            {
                b.Append('\\');
            }

            b.Append(c);
        }

        return b.ToString();
    }

    private static string Q(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
