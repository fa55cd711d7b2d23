namespace IdpServerless.Functions.Deployments.Model;

/// <summary>Component refs as users type them: <c>payments-api</c>, <c>team/payments-api</c> or <c>component:team/payments-api</c>.</summary>
public static class ComponentRefs
{
    /// <summary>The full ref <c>component:{namespace}/{name}</c> (lowercase), or null when the text cannot be one.</summary>
    public static string? Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 253)
        {
            return null;
        }

        var t = text.Trim().ToLowerInvariant();
        if (t.Contains(':', StringComparison.Ordinal))
        {
            if (!t.StartsWith("component:", StringComparison.Ordinal))
            {
                return null;
            }

            t = t["component:".Length..];
        }

        var parts = t.Split('/');
        var (ns, name) = parts.Length switch
        {
            1 => ("default", parts[0]),
            2 => (parts[0], parts[1]),
            _ => (string.Empty, string.Empty),
        };
        return Valid(ns) && Valid(name) ? $"component:{ns}/{name}" : null;

        static bool Valid(string s) => s.Length is > 0 and <= 63 && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.') && char.IsAsciiLetterOrDigit(s[0]);
    }

    /// <summary>(namespace, name) of a normalized ref.</summary>
    public static (string Namespace, string Name) Split(string componentRef)
    {
        var body = componentRef.StartsWith("component:", StringComparison.Ordinal) ? componentRef["component:".Length..] : componentRef;
        var slash = body.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? ("default", body) : (body[..slash], body[(slash + 1)..]);
    }
}
