namespace IdpServerless.Functions.Webhooks;

/// <summary>A catalog Component as the event features need it.</summary>
public sealed record CatalogComponent(string Ref, IReadOnlyDictionary<string, string> Annotations);

/// <summary>
/// What webhooks and chat read from the software catalog. Implemented over the catalog's index (feat/catalog); tests
/// use an in-memory implementation.
/// </summary>
public interface IEventCatalog
{
    /// <summary>Components whose annotation <paramref name="annotation"/> (e.g. <c>github.com/project-slug</c>) equals <paramref name="value"/> (case-insensitive).</summary>
    Task<IReadOnlyList<CatalogComponent>> FindComponentsByAnnotationAsync(string annotation, string value, CancellationToken cancellationToken);

    /// <summary>The component with this full ref, or null.</summary>
    Task<CatalogComponent?> GetComponentAsync(string componentRef, CancellationToken cancellationToken);

    /// <summary>Targets of every registered location (e.g. <c>git:owner/repo/catalog-info.yaml</c>, <c>https://github.com/owner/repo/blob/main/catalog-info.yaml</c>).</summary>
    Task<IReadOnlyList<string>> ListLocationTargetsAsync(CancellationToken cancellationToken);
}

/// <summary>Annotations the event features read.</summary>
public static class EventAnnotations
{
    public const string GitHubProjectSlug = "github.com/project-slug";
    public const string GitLabProjectSlug = "gitlab.com/project-slug";
    public const string AutoDeploy = "idp.dev/auto-deploy";
    public const string SlackUserId = "slack.com/user-id";

    public static string SlugFor(string host) => host == GitHosts.GitLab ? GitLabProjectSlug : GitHubProjectSlug;
}

/// <summary>Backstage entity refs as typed in chat or APIs: <c>payments-api</c> means <c>component:default/payments-api</c>.</summary>
public static class EntityRefs
{
    public static string Component(string text)
    {
        var t = text.Trim();
        if (t.Length == 0 || t.Length > 300)
        {
            throw new FormatException("A component ref is required.");
        }

        var kind = "component";
        var colon = t.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            kind = t[..colon].ToLowerInvariant();
            t = t[(colon + 1)..];
        }

        var slash = t.IndexOf('/', StringComparison.Ordinal);
        var ns = slash >= 0 ? t[..slash] : "default";
        var name = slash >= 0 ? t[(slash + 1)..] : t;
        if (kind != "component" || !Valid(ns) || !Valid(name))
        {
            throw new FormatException($"'{text}' is not a component ref (name, namespace/name or component:namespace/name).");
        }

        return $"component:{ns.ToLowerInvariant()}/{name.ToLowerInvariant()}";
    }

    public static string Group(string text)
    {
        var t = text.Trim();
        t = t.StartsWith("group:", StringComparison.OrdinalIgnoreCase) ? t[6..] : t;
        var slash = t.IndexOf('/', StringComparison.Ordinal);
        var ns = slash >= 0 ? t[..slash] : "default";
        var name = slash >= 0 ? t[(slash + 1)..] : t;
        return Valid(ns) && Valid(name)
            ? $"group:{ns.ToLowerInvariant()}/{name.ToLowerInvariant()}"
            : throw new FormatException($"'{text}' is not a group ref (name, namespace/name or group:namespace/name).");
    }

    // Backstage: 1-63 chars of [a-zA-Z0-9], separated by single [-_.].
    private static bool Valid(string part) =>
        part.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(part[0]) && char.IsAsciiLetterOrDigit(part[^1]) &&
        part.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
