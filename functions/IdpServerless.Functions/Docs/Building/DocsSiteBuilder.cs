using System.Text;
using IdpServerless.Functions.Docs.Rendering;
using IdpServerless.Functions.Docs.Sources;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Docs.Building;

/// <summary>A built site in memory, before it is stored.</summary>
public sealed record BuiltSite(DocsSite Site, IReadOnlyDictionary<string, DocPage> Pages, IReadOnlyDictionary<string, (byte[] Bytes, string ContentType)> Assets);

/// <summary>
/// Reads a docs tree and renders it: <c>mkdocs.yml</c> when present (<c>site_name</c>, <c>nav</c>, <c>docs_dir</c>), else every
/// <c>*.md</c> under <c>docs/</c> with <c>index.md</c> first. Every Markdown page is rendered (so links between pages work),
/// the navigation lists the nav's pages (or all of them without a nav), images and other published files become assets.
/// </summary>
public sealed class DocsSiteBuilder(IOptions<DocsOptions> options, TimeProvider time)
{
    private readonly DocsOptions _options = options.Value;

    public async Task<BuiltSite> BuildAsync(DocsEntity entity, IDocsSource source, CancellationToken ct)
    {
        var files = await source.ListFilesAsync(_options.MaxFiles, ct).ConfigureAwait(false);
        var config = MkDocsConfig.Default;
        var configFile = files.FirstOrDefault(f => f is "mkdocs.yml" or "mkdocs.yaml");
        if (configFile is not null && await source.ReadAsync(configFile, _options.MaxPageBytes, ct).ConfigureAwait(false) is { } yaml)
        {
            config = MkDocsConfig.Parse(yaml);
        }

        var prefix = config.DocsDir.Length == 0 ? string.Empty : config.DocsDir + "/";
        var inDocs = files.Where(f => f.StartsWith(prefix, StringComparison.Ordinal)).Select(f => f[prefix.Length..]).ToList();
        var markdown = inDocs.Where(DocPaths.IsMarkdown)
            .OrderBy(p => p == "index.md" ? 0 : 1).ThenBy(p => p, StringComparer.Ordinal)
            .Take(_options.MaxPages)
            .ToList();

        var builtAt = time.GetUtcNow();
        var route = Routes.For(entity.Kind, entity.Namespace, entity.Name, _options);
        var navTitles = config.Nav.GroupBy(n => n.Path).ToDictionary(g => g.Key, g => g.First().Title, StringComparer.Ordinal);
        var pages = new Dictionary<string, DocPage>(StringComparer.Ordinal);
        long total = 0;
        foreach (var path in markdown)
        {
            var bytes = await source.ReadAsync(prefix + path, _options.MaxPageBytes, ct).ConfigureAwait(false);
            if (bytes is null)
            {
                continue;
            }

            total += bytes.Length;
            var rendered = MarkdownRenderer.Render(Encoding.UTF8.GetString(bytes), new RenderContext(path, route.DocRoute, route.AssetRoute));
            var title = navTitles.GetValueOrDefault(path) ?? rendered.FirstHeading ?? TitleFromPath(path);
            pages[path] = new DocPage(title, rendered.Html, rendered.Toc, prefix + path, builtAt, source.Revision, rendered.Text);
        }

        var assets = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var path in inDocs.Where(p => !DocPaths.IsMarkdown(p) && AssetTypes.For(p) is not null))
        {
            if (await source.ReadAsync(prefix + path, _options.MaxAssetBytes, ct).ConfigureAwait(false) is not { } bytes)
            {
                continue;
            }

            total += bytes.Length;
            if (total > _options.MaxSiteBytes)
            {
                throw new DocsSourceException($"The docs are larger than {_options.MaxSiteBytes} bytes.");
            }

            assets[path] = (bytes, AssetTypes.For(path)!);
        }

        IEnumerable<string> order = config.Nav.Count > 0
            ? config.Nav.Select(n => n.Path).Distinct(StringComparer.Ordinal).Where(pages.ContainsKey)
            : markdown.Where(pages.ContainsKey);
        var nav = order.Select(p => new DocPageRef(p, pages[p].Title)).ToList();
        var siteName = config.SiteName ?? entity.Name;
        var site = new DocsSite(entity.Ref, siteName, builtAt, source.Revision, entity.Fingerprint, source.Description, nav, [.. pages.Keys.Order(StringComparer.Ordinal)], [.. assets.Keys.Order(StringComparer.Ordinal)]);
        return new BuiltSite(site, pages, assets);
    }

    private static string TitleFromPath(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        if (name == "index" && path.Contains('/', StringComparison.Ordinal))
        {
            name = path.Split('/')[^2];
        }

        name = name.Replace('-', ' ').Replace('_', ' ');
        return name.Length == 0 ? path : char.ToUpperInvariant(name[0]) + name[1..];
    }
}

/// <summary>The URLs a site's pages link to: the browser app's entity page in Backstage's form (<c>/catalog/{namespace}/{kind}/{name}</c>) and our asset API.</summary>
public sealed record Routes(string DocRoute, string AssetRoute)
{
    public static Routes For(string kind, string ns, string name, DocsOptions options)
    {
        string E(string s) => Uri.EscapeDataString(s.ToLowerInvariant());
        var parts = $"{E(kind)}/{E(ns)}/{E(name)}";
        return new Routes(
            $"{options.AppBaseUrl.TrimEnd('/')}/catalog/{E(ns)}/{E(kind)}/{E(name)}?tab=docs&doc=",
            $"{options.ApiBaseUrl.TrimEnd('/')}/api/docs/{parts}/asset?path=");
    }
}
