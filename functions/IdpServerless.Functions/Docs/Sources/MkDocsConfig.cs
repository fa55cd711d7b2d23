using System.Text;
using IdpServerless.Functions.Docs.Rendering;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace IdpServerless.Functions.Docs.Sources;

/// <summary>One navigation entry of mkdocs.yml: a page (path relative to docs_dir) with an optional title and its section.</summary>
public sealed record NavEntry(string Path, string? Title, string? Section);

/// <summary>
/// The parts of <c>mkdocs.yml</c> TechDocs reads: <c>site_name</c>, <c>docs_dir</c> (default <c>docs</c>) and <c>nav</c>
/// (strings, <c>{title: page}</c> maps and nested sections). Read as a YAML tree, never bound to types, so tags such as
/// <c>!!python/name:</c> are inert.
/// </summary>
public sealed record MkDocsConfig(string? SiteName, string DocsDir, IReadOnlyList<NavEntry> Nav)
{
    public const string DefaultDocsDir = "docs";
    private const int MaxNavEntries = 2000;

    public static MkDocsConfig Default { get; } = new(null, DefaultDocsDir, []);

    /// <summary>Parses the file; throws <see cref="DocsSourceException"/> naming what is wrong.</summary>
    public static MkDocsConfig Parse(byte[] yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(Encoding.UTF8.GetString(yaml)));
        }
        catch (YamlException e)
        {
            throw new DocsSourceException($"mkdocs.yml is not valid YAML: {e.Message}");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return Default;
        }

        var siteName = Scalar(root, "site_name");
        var docsDir = Scalar(root, "docs_dir") ?? DefaultDocsDir;
        var normalized = DocPaths.Normalize(docsDir.TrimEnd('/'));
        if (docsDir.Trim() is "." or "./")
        {
            normalized = string.Empty;
        }
        else if (normalized is null)
        {
            throw new DocsSourceException($"mkdocs.yml docs_dir '{docsDir}' must be a folder inside the docs tree.");
        }

        var nav = new List<NavEntry>();
        if (root.Children.TryGetValue(new YamlScalarNode("nav"), out var navNode) && navNode is YamlSequenceNode items)
        {
            Walk(items, null, nav, 0);
        }

        return new MkDocsConfig(string.IsNullOrWhiteSpace(siteName) ? null : siteName.Trim(), normalized, nav);
    }

    private static void Walk(YamlSequenceNode items, string? section, List<NavEntry> nav, int depth)
    {
        if (depth > 10)
        {
            return;
        }

        foreach (var item in items)
        {
            if (nav.Count >= MaxNavEntries)
            {
                return;
            }

            switch (item)
            {
                case YamlScalarNode { Value: { } path }:
                    Add(nav, path, null, section);
                    break;
                case YamlMappingNode map:
                    foreach (var (key, value) in map.Children)
                    {
                        var title = (key as YamlScalarNode)?.Value;
                        if (value is YamlScalarNode { Value: { } target })
                        {
                            Add(nav, target, title, section);
                        }
                        else if (value is YamlSequenceNode children)
                        {
                            Walk(children, title, nav, depth + 1);
                        }
                    }

                    break;
            }
        }
    }

    private static void Add(List<NavEntry> nav, string target, string? title, string? section)
    {
        // External links in the nav are not pages of this site.
        if (target.Contains("://", StringComparison.Ordinal) || !DocPaths.IsMarkdown(target) || DocPaths.Normalize(target) is not { } path)
        {
            return;
        }

        nav.Add(new NavEntry(path, string.IsNullOrWhiteSpace(title) ? null : title.Trim(), section));
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode scalar ? scalar.Value : null;
}

/// <summary>The docs source cannot be read or is not acceptable (missing, outside its location, malformed).</summary>
public sealed class DocsSourceException(string message) : Exception(message);
