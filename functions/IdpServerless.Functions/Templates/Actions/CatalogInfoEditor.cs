using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>Sets annotations on the Component of a <c>catalog-info.yaml</c> (the first Component document, else the first document).</summary>
internal static class CatalogInfoEditor
{
    public const int MaxBytes = 256 * 1024;

    public static byte[] SetAnnotations(byte[] content, IReadOnlyDictionary<string, string> annotations, string path)
    {
        if (content.Length > MaxBytes)
        {
            throw new ActionFailedException($"{path} is larger than {MaxBytes / 1024} KiB.");
        }

        var text = Encoding.UTF8.GetString(content);
        var parser = new Parser(new StringReader(text));
        while (parser.MoveNext())
        {
            if (parser.Current is AnchorAlias)
            {
                throw new ActionFailedException($"{path} uses YAML aliases, which are not allowed.");
            }
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ActionFailedException($"{path} is not valid YAML (line {e.Start.Line}): {e.Message}");
        }

        var docs = stream.Documents.Where(d => d.RootNode is YamlMappingNode).ToList();
        var target = docs.FirstOrDefault(d => Scalar((YamlMappingNode)d.RootNode, "kind")?.Equals("Component", StringComparison.OrdinalIgnoreCase) == true)
            ?? docs.FirstOrDefault()
            ?? throw new ActionFailedException($"{path} holds no entity.");
        var root = (YamlMappingNode)target.RootNode;
        var metadata = Child(root, "metadata");
        var map = Child(metadata, "annotations");
        foreach (var (key, value) in annotations)
        {
            map.Children[new YamlScalarNode(key)] = new YamlScalarNode(value) { Style = value.Contains('\n', StringComparison.Ordinal) ? ScalarStyle.Literal : ScalarStyle.SingleQuoted };
        }

        var sb = new StringBuilder();
        using (var writer = new StringWriter(sb))
        {
            for (var i = 0; i < stream.Documents.Count; i++)
            {
                if (i > 0)
                {
                    writer.Write("---\n");
                }

                var single = new YamlStream(stream.Documents[i]);
                var docText = new StringWriter();
                single.Save(docText, assignAnchors: false);
                writer.Write(docText.ToString().Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd().TrimEnd('.').TrimEnd() + "\n");
            }
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static YamlMappingNode Child(YamlMappingNode node, string key)
    {
        if (node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlMappingNode m)
        {
            return m;
        }

        var created = new YamlMappingNode();
        node.Children[new YamlScalarNode(key)] = created;
        return created;
    }
}
