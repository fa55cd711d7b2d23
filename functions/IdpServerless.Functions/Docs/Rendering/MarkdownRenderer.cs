using System.Text;
using Markdig;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace IdpServerless.Functions.Docs.Rendering;

/// <summary>Where a page lives, so its links can be rewritten to the app's doc route and the asset endpoint.</summary>
/// <param name="PagePath">The page's path relative to docs_dir.</param>
/// <param name="DocRoute">The app's route of this entity's docs, e.g. <c>/catalog/default/component/x?tab=docs&amp;doc=</c>.</param>
/// <param name="AssetRoute">The asset endpoint, e.g. <c>/api/docs/component/default/x/asset?path=</c>.</param>
public sealed record RenderContext(string PagePath, string DocRoute, string AssetRoute);

/// <summary>A rendered page: sanitized HTML, its headings and its plain text (for search).</summary>
public sealed record RenderedPage(string? FirstHeading, string Html, IReadOnlyList<TocEntry> Toc, string Text);

/// <summary>
/// Markdown to safe HTML: Markdig with the advanced extensions and raw HTML disabled (escaped), headings with ids, links
/// rewritten (relative <c>.md</c> to the app's doc route, relative images and files to the asset endpoint, anything with a
/// scheme other than http, https or mailto dropped), then the allow-list sanitizer over the output.
/// </summary>
public static class MarkdownRenderer
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseAdvancedExtensions()
        .DisableHtml()
        .Build();

    public static RenderedPage Render(string markdown, RenderContext context)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
        {
            link.Url = Rewrite(link.Url, link.IsImage, context);
            link.GetDynamicUrl = null;
        }

        foreach (var auto in document.Descendants<AutolinkInline>())
        {
            if (SafeScheme(auto.Url, image: false) is null)
            {
                auto.Url = string.Empty;
            }
        }

        var toc = new List<TocEntry>();
        string? first = null;
        foreach (var heading in document.Descendants<HeadingBlock>())
        {
            var text = PlainText(heading.Inline).Trim();
            first ??= heading.Level == 1 ? text : null;
            var id = heading.GetAttributes().Id;
            if (!string.IsNullOrEmpty(id) && DocsHtml.IsSafeId(id))
            {
                toc.Add(new TocEntry(id, text, heading.Level));
            }
        }

        var html = DocsHtml.Sanitize(document.ToHtml(Pipeline));
        return new RenderedPage(first, html, toc, DocumentText(document));
    }

    /// <summary>The URL a link or image should point at, or an empty string when it must not point anywhere.</summary>
    internal static string Rewrite(string? url, bool image, RenderContext context)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return string.Empty;
        }

        url = url.Trim();
        if (url.StartsWith('#'))
        {
            return image ? string.Empty : url;
        }

        if (HasScheme(url) || url.StartsWith("//", StringComparison.Ordinal))
        {
            return SafeScheme(url, image) ?? string.Empty;
        }

        if (url.StartsWith('/'))
        {
            // Rooted paths name pages of the portal itself (another entity's docs, the catalog): kept as written.
            return url.Contains('\\', StringComparison.Ordinal) ? string.Empty : url;
        }

        var cut = url.IndexOfAny(['?', '#']);
        var fragment = url.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 ? url[hash..] : string.Empty;
        var rawPath = cut >= 0 ? url[..cut] : url;
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(rawPath);
        }
        catch (UriFormatException)
        {
            return string.Empty;
        }

        if (!image && (decoded.Length == 0 || decoded.EndsWith('/')))
        {
            decoded += "index.md";
        }

        var resolved = DocPaths.Resolve(context.PagePath, decoded);
        if (resolved is null)
        {
            return string.Empty;
        }

        if (!image && DocPaths.IsMarkdown(resolved))
        {
            return context.DocRoute + Uri.EscapeDataString(resolved) + fragment;
        }

        return context.AssetRoute + Uri.EscapeDataString(resolved);
    }

    /// <summary>The URL when its scheme is allowed (http/https, and mailto for links), else null.</summary>
    internal static string? SafeScheme(string url, bool image)
    {
        var compact = new string(url.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray());
        if (compact.StartsWith("//", StringComparison.Ordinal))
        {
            return "https:" + compact;
        }

        if (!Uri.TryCreate(compact, UriKind.Absolute, out var uri))
        {
            return null;
        }

        return uri.Scheme switch
        {
            "http" or "https" => uri.AbsoluteUri,
            "mailto" when !image => uri.OriginalString,
            _ => null,
        };
    }

    private static bool HasScheme(string url)
    {
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        var slash = url.IndexOfAny(['/', '?', '#']);
        return slash < 0 || colon < slash;
    }

    private static string PlainText(ContainerInline? inline)
    {
        if (inline is null)
        {
            return string.Empty;
        }

        var sb = new StringBuilder();
        foreach (var child in inline.Descendants())
        {
            switch (child)
            {
                case LiteralInline literal:
                    sb.Append(literal.Content.ToString());
                    break;
                case CodeInline code:
                    sb.Append(code.Content);
                    break;
            }
        }

        return sb.ToString();
    }

    private static string DocumentText(MarkdownDocument document)
    {
        var sb = new StringBuilder();
        foreach (var block in document.Descendants<LeafBlock>())
        {
            if (block.Inline is not null)
            {
                sb.Append(PlainText(block.Inline)).Append(' ');
            }
            else if (block is CodeBlock code)
            {
                sb.Append(code.Lines.ToString()).Append(' ');
            }
        }

        return sb.ToString();
    }
}
