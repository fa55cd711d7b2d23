namespace IdpServerless.Functions.Docs;

/// <summary>What docs need to know about a catalog entity: its name parts and annotations, and a fingerprint that changes when the entity does.</summary>
public sealed record DocsEntity(string Kind, string Namespace, string Name, IReadOnlyDictionary<string, string> Annotations, string Fingerprint)
{
    /// <summary>Canonical lowercased <c>kind:namespace/name</c>.</summary>
    public string Ref => DocsKeys.Ref(Kind, Namespace, Name);
}

/// <summary>One page in a site's navigation.</summary>
public sealed record DocPageRef(string Path, string Title);

/// <summary>One heading of a page: its anchor id, plain text and level (1-6).</summary>
public sealed record TocEntry(string Id, string Text, int Level);

/// <summary>A rendered page as stored (<c>{kind}/{ns}/{name}/pages/{path}.json</c>).</summary>
public sealed record DocPage(string Title, string Html, IReadOnlyList<TocEntry> Toc, string SourcePath, DateTimeOffset BuiltAt, string? SourceSha, string Text);

/// <summary>A site's index (<c>{kind}/{ns}/{name}/index.json</c>), written last: a build is visible once it exists.</summary>
/// <param name="EntityRef">Canonical entity ref.</param>
/// <param name="SiteName">mkdocs <c>site_name</c>, or the entity's title/name.</param>
/// <param name="BuiltAt">When the build finished.</param>
/// <param name="SourceSha">The git commit read, for git sources.</param>
/// <param name="EntityFingerprint">The catalog entity's fingerprint at build time (a changed entity makes the site stale).</param>
/// <param name="Source">Where the docs were read from (<c>file:/...</c> or <c>git:owner/repo/path?ref=</c>).</param>
/// <param name="Pages">Navigation pages, in order.</param>
/// <param name="AllPages">Every built page path (navigation pages plus pages outside the nav).</param>
/// <param name="Assets">Stored asset paths (relative to docs_dir).</param>
public sealed record DocsSite(
    string EntityRef,
    string SiteName,
    DateTimeOffset BuiltAt,
    string? SourceSha,
    string EntityFingerprint,
    string Source,
    IReadOnlyList<DocPageRef> Pages,
    IReadOnlyList<string> AllPages,
    IReadOnlyList<string> Assets);

/// <summary>Annotation names and key helpers.</summary>
public static class DocsKeys
{
    public const string TechDocsRef = "backstage.io/techdocs-ref";
    public const string ManagedByLocation = "backstage.io/managed-by-location";
    public const string SourceLocation = "backstage.io/source-location";

    public static string Ref(string kind, string ns, string name) =>
        string.Concat(kind.ToLowerInvariant(), ":", ns.ToLowerInvariant(), "/", name.ToLowerInvariant());

    /// <summary>Splits a canonical ref into its parts, or null when it is not <c>kind:namespace/name</c>.</summary>
    public static (string Kind, string Namespace, string Name)? Split(string entityRef)
    {
        var colon = entityRef.IndexOf(':', StringComparison.Ordinal);
        var slash = entityRef.IndexOf('/', StringComparison.Ordinal);
        if (colon <= 0 || slash <= colon + 1 || slash == entityRef.Length - 1 || entityRef.IndexOf('/', slash + 1) >= 0)
        {
            return null;
        }

        return (entityRef[..colon].ToLowerInvariant(), entityRef[(colon + 1)..slash].ToLowerInvariant(), entityRef[(slash + 1)..].ToLowerInvariant());
    }
}

/// <summary>
/// How docs find entities. The catalog implements it over its in-memory index; kept as a seam so docs never reach
/// into the catalog's storage.
/// </summary>
public interface IDocsEntities
{
    /// <summary>The entity, or null when the catalog does not know it.</summary>
    ValueTask<DocsEntity?> FindAsync(string kind, string ns, string name, CancellationToken cancellationToken);

    /// <summary>Every entity that has a <c>backstage.io/techdocs-ref</c> annotation.</summary>
    ValueTask<IReadOnlyList<DocsEntity>> WithDocsAsync(CancellationToken cancellationToken);
}
