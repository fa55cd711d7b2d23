using IdpServerless.Functions.Docs.Building;
using IdpServerless.Functions.Docs.Rendering;
using IdpServerless.Functions.Docs.Search;
using IdpServerless.Functions.Docs.Sources;
using IdpServerless.Hosting.Problems;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Docs;

/// <summary>
/// Reading a site: the entity must exist and ask for docs; a built site is served from the index and blobs without
/// rendering; a site never built is built once on the request path within <see cref="DocsOptions.SyncBuildTimeout"/>.
/// </summary>
public sealed class ReadDocs(IDocsEntities entities, DocsSearchIndex index, DocsStore store, BuildDocsSite build, DocsBuildQueue queue, IOptions<DocsOptions> options)
{
    public const string AnnotationField = "metadata.annotations." + DocsKeys.TechDocsRef;

    /// <summary>The entity, or 404 when it is unknown or has no docs.</summary>
    public async Task<DocsEntity> EntityAsync(string kind, string ns, string name, CancellationToken ct)
    {
        var entity = await entities.FindAsync(kind, ns, name, ct).ConfigureAwait(false)
                     ?? throw ProblemException.NotFound($"No entity {DocsKeys.Ref(kind, ns, name)} in the catalog.");
        if (!DocsSourceResolver.HasDocs(entity))
        {
            throw ProblemException.NotFound($"{entity.Ref} has no TechDocs: it has no {DocsKeys.TechDocsRef} annotation.");
        }

        return entity;
    }

    public async Task<DocsSite> SiteAsync(DocsEntity entity, CancellationToken ct)
    {
        if (index.GetSite(entity.Ref)?.Site is { } held)
        {
            return held;
        }

        if (await store.GetSiteAsync(entity.Ref, ct).ConfigureAwait(false) is { } stored)
        {
            return stored.Site;
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(options.Value.SyncBuildTimeout);
        try
        {
            return await build.BuildAsync(entity, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await queue.EnqueueAsync(entity.Ref, ct).ConfigureAwait(false);
            throw Unavailable($"Building the docs of {entity.Ref} takes longer than {options.Value.SyncBuildTimeout.TotalSeconds:0} s; it continues in the background.");
        }
        catch (DocsBuildBusyException)
        {
            throw Unavailable($"The docs of {entity.Ref} are being built; try again in a moment.");
        }
        catch (DocsSourceException e)
        {
            throw ProblemException.Validation(AnnotationField, e.Message);
        }
    }

    public async Task<DocPage> PageAsync(DocsEntity entity, string? path, CancellationToken ct)
    {
        var normalized = Path(path, "path");
        var site = await SiteAsync(entity, ct).ConfigureAwait(false);
        if (!site.AllPages.Contains(normalized, StringComparer.Ordinal))
        {
            throw ProblemException.NotFound($"The docs of {entity.Ref} have no page {normalized}.");
        }

        return await store.GetPageAsync(entity.Ref, normalized, ct).ConfigureAwait(false)
               ?? throw ProblemException.NotFound($"The docs of {entity.Ref} have no page {normalized}.");
    }

    public async Task<IdpServerless.Storage.BlobContent> AssetAsync(DocsEntity entity, string? path, CancellationToken ct)
    {
        var normalized = Path(path, "path");
        var site = await SiteAsync(entity, ct).ConfigureAwait(false);
        if (!site.Assets.Contains(normalized, StringComparer.Ordinal))
        {
            throw ProblemException.NotFound($"The docs of {entity.Ref} have no file {normalized}.");
        }

        return await store.GetAssetAsync(entity.Ref, normalized, ct).ConfigureAwait(false)
               ?? throw ProblemException.NotFound($"The docs of {entity.Ref} have no file {normalized}.");
    }

    private static string Path(string? path, string field)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw ProblemException.Validation(field, "is required.");
        }

        return DocPaths.Normalize(path) ?? throw ProblemException.Validation(field, "must be a relative path inside the docs (no '..', no leading '/').");
    }

    private static ProblemException Unavailable(string detail)
    {
        var e = new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "Docs are being built.", detail);
        e.Extensions["retryAfterSeconds"] = 2;
        return e;
    }
}
