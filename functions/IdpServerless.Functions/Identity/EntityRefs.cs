namespace IdpServerless.Functions.Identity;

/// <summary>
/// Backstage entity refs as identity needs them: <c>kind:namespace/name</c>, lower-cased (Backstage compares refs
/// case-insensitively), namespace <c>default</c> when omitted.
/// </summary>
public static class EntityRefs
{
    public const string DefaultNamespace = "default";

    /// <summary>The full, lower-cased ref, or null when <paramref name="value"/> is not a ref (a kind is required unless <paramref name="defaultKind"/> is given).</summary>
    public static string? TryNormalize(string? value, string? defaultKind = null)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 400)
        {
            return null;
        }

        var s = value.Trim();
        string? kind = defaultKind;
        var colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            kind = s[..colon];
            s = s[(colon + 1)..];
        }

        var ns = DefaultNamespace;
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            ns = s[..slash];
            s = s[(slash + 1)..];
        }

        return kind is null || !IsPart(kind) || !IsPart(ns) || !IsPart(s)
            ? null
            : $"{kind}:{ns}/{s}".ToLowerInvariant();
    }

    /// <summary>The kind of a normalized ref (<c>user</c>, <c>group</c>, <c>component</c>...).</summary>
    public static string KindOf(string entityRef)
    {
        var colon = entityRef.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? string.Empty : entityRef[..colon];
    }

    public static bool IsKind(string entityRef, string kind) =>
        entityRef.StartsWith(kind + ":", StringComparison.OrdinalIgnoreCase);

    // Backstage allows letters, digits and [-_.] in names and namespaces (kinds are letters); we accept that set.
    private static bool IsPart(string part) =>
        part.Length is > 0 and <= 253 && part.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
