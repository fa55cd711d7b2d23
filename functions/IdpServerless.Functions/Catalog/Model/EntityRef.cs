namespace IdpServerless.Functions.Catalog.Model;

/// <summary>
/// An entity reference <c>[kind:][namespace/]name</c>, parsed as Backstage's <c>parseEntityRef</c> does: a '/' before the
/// first ':' means there is no kind; missing parts come from the context's defaults. <see cref="ToString"/> is the
/// canonical form Backstage's <c>stringifyEntityRef</c> produces: every part lowercased.
/// </summary>
public readonly record struct EntityRef(string Kind, string Namespace, string Name)
{
    public const string DefaultNamespace = "default";

    /// <summary>Canonical, lowercased <c>kind:namespace/name</c>: the catalog's key for the entity.</summary>
    public override string ToString() => Key(Kind, Namespace, Name);

    public static string Key(string kind, string ns, string name) =>
        string.Concat(kind.ToLowerInvariant(), ":", ns.ToLowerInvariant(), "/", name.ToLowerInvariant());

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> with Backstage's wording when a part is missing or empty.</summary>
    public static EntityRef Parse(string? text, string? defaultKind = null, string? defaultNamespace = null)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw new FormatException("Entity reference must not be empty.");
        }

        if (!TryParseParts(text, out var kind, out var ns, out var name))
        {
            throw new FormatException($"Entity reference \"{text}\" was not on the form [<kind>:][<namespace>/]<name>.");
        }

        kind ??= defaultKind;
        ns ??= string.IsNullOrEmpty(defaultNamespace) ? DefaultNamespace : defaultNamespace;
        if (string.IsNullOrEmpty(kind))
        {
            throw new FormatException($"Entity reference \"{text}\" had missing or empty kind (e.g. did not start with \"component:\" or similar).");
        }

        return new EntityRef(kind, ns, name);
    }

    /// <summary>Like <see cref="Parse"/> but answers false instead of throwing.</summary>
    public static bool TryParse(string? text, string? defaultKind, string? defaultNamespace, out EntityRef result)
    {
        result = default;
        if (string.IsNullOrEmpty(text) || !TryParseParts(text, out var kind, out var ns, out var name))
        {
            return false;
        }

        kind ??= defaultKind;
        if (string.IsNullOrEmpty(kind))
        {
            return false;
        }

        result = new EntityRef(kind, ns ?? (string.IsNullOrEmpty(defaultNamespace) ? DefaultNamespace : defaultNamespace), name);
        return true;
    }

    private static bool TryParseParts(string text, out string? kind, out string? ns, out string name)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash != -1 && slash < colon)
        {
            colon = -1;
        }

        kind = colon == -1 ? null : text[..colon];
        ns = slash == -1 ? null : text[(colon + 1)..slash];
        name = text[Math.Max(colon + 1, slash + 1)..];
        return kind is not "" && ns is not "" && name.Length > 0;
    }
}
