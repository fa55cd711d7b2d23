using IdpServerless.Functions.Docs.Building;
using IdpServerless.Functions.Docs.Search;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Docs;

/// <summary>TechDocs over HTTP: site listing, pages, assets, search and on-demand builds.</summary>
public static class DocsApi
{
    public const string Prefix = "/api/docs";
    private const int MaxLimit = 100;

    public static IEndpointRouteBuilder MapDocsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).WithTags("Docs");

        group.MapGet("/search", (DocsSearchIndex index, string? term, string? kind, int? limit) =>
        {
            if (string.IsNullOrWhiteSpace(term))
            {
                throw ProblemException.Validation("term", "is required.");
            }

            if (term.Length > DocsSearchIndex.MaxTermLength)
            {
                throw ProblemException.Validation("term", $"must be at most {DocsSearchIndex.MaxTermLength} characters.");
            }

            if (limit is < 1 or > MaxLimit)
            {
                throw ProblemException.Validation("limit", $"must be between 1 and {MaxLimit}.");
            }

            return Results.Ok(index.Search(term, kind, limit ?? 20));
        }).WithName("DocsSearch").RequirePermission(Permissions.DocsRead);

        group.MapGet("/{kind}/{namespace}/{name}", async (ReadDocs docs, string kind, string @namespace, string name, CancellationToken ct) =>
        {
            var entity = await docs.EntityAsync(kind, @namespace, name, ct);
            var site = await docs.SiteAsync(entity, ct);
            return Results.Ok(new SiteView(site.EntityRef, site.SiteName, site.BuiltAt, site.SourceSha, site.Pages));
        }).WithName("DocsGetSite").RequirePermission(Permissions.DocsRead, resourceFromRoute: true);

        group.MapGet("/{kind}/{namespace}/{name}/page", async (ReadDocs docs, string kind, string @namespace, string name, string? path, CancellationToken ct) =>
        {
            var entity = await docs.EntityAsync(kind, @namespace, name, ct);
            var page = await docs.PageAsync(entity, path, ct);
            return Results.Ok(new PageView(page.Title, page.Html, page.Toc, page.SourcePath, page.BuiltAt, page.SourceSha));
        }).WithName("DocsGetPage").RequirePermission(Permissions.DocsRead, resourceFromRoute: true);

        group.MapGet("/{kind}/{namespace}/{name}/asset", async (HttpContext http, ReadDocs docs, string kind, string @namespace, string name, string? path, CancellationToken ct) =>
        {
            var entity = await docs.EntityAsync(kind, @namespace, name, ct);
            var asset = await docs.AssetAsync(entity, path, ct);
            var contentType = AssetTypes.For(path!) ?? "application/octet-stream";
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "private, max-age=300";
            if (contentType == AssetTypes.Svg)
            {
                // An SVG opened directly could run script; sandboxed, it is only a picture.
                headers.ContentSecurityPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'";
            }

            return Results.Bytes(asset.Content, contentType);
        }).WithName("DocsGetAsset").RequirePermission(Permissions.DocsRead, resourceFromRoute: true);

        group.MapPost("/{kind}/{namespace}/{name}/build", async (ReadDocs docs, DocsBuildQueue queue, string kind, string @namespace, string name, CancellationToken ct) =>
        {
            var entity = await docs.EntityAsync(kind, @namespace, name, ct);
            await queue.EnqueueAsync(entity.Ref, ct);
            return Results.Accepted($"{Prefix}/{Uri.EscapeDataString(kind)}/{Uri.EscapeDataString(@namespace)}/{Uri.EscapeDataString(name)}", new BuildAccepted(entity.Ref, true));
        }).WithName("DocsBuild").RequirePermission(Permissions.CatalogWrite, resourceFromRoute: true);

        return app;
    }

    private sealed record SiteView(string EntityRef, string SiteName, DateTimeOffset BuiltAt, string? SourceSha, IReadOnlyList<DocPageRef> Pages);

    private sealed record PageView(string Title, string Html, IReadOnlyList<TocEntry> Toc, string SourcePath, DateTimeOffset BuiltAt, string? SourceSha);

    private sealed record BuildAccepted(string EntityRef, bool Queued);
}
