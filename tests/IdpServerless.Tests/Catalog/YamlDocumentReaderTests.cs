using System.Text;
using IdpServerless.Functions.Catalog.Ingestion;

namespace IdpServerless.Tests.Catalog;

/// <summary>The YAML reader: Backstage's typing, lines for errors, and refusing hostile input fast.</summary>
public class YamlDocumentReaderTests
{
    private static readonly YamlLimits Limits = new();

    [Fact]
    public void Multiple_documents_are_read_with_their_lines_and_empty_ones_kept_as_null()
    {
        var docs = YamlDocumentReader.Read("a: 1\n---\n---\nkind: Component\nmetadata:\n  name: x\n", Limits);
        Assert.Equal(3, docs.Count);
        Assert.Null(docs[1].Root);
        Assert.Equal("Component", docs[2].Root!["kind"]!.GetValue<string>());
        Assert.Equal(6, docs[2].LineOf("metadata.name"));
        Assert.Equal(5, docs[2].LineOf("metadata.title"));
    }

    [Fact]
    public void Plain_scalars_follow_the_yaml_core_schema_and_quoted_ones_stay_strings()
    {
        var root = YamlDocumentReader.Read("a: true\nb: 12\nc: 1.5\nd: ~\ne: '12'\nf: yes\ng: 0x1F\nh: 2024-01-01\n", Limits)[0].Root!;
        Assert.True(root["a"]!.GetValue<bool>());
        Assert.Equal(12L, root["b"]!.GetValue<long>());
        Assert.Equal(1.5, root["c"]!.GetValue<double>());
        Assert.Null(root["d"]);
        Assert.Equal("12", root["e"]!.GetValue<string>());
        Assert.Equal("yes", root["f"]!.GetValue<string>());
        Assert.Equal(31L, root["g"]!.GetValue<long>());
        Assert.Equal("2024-01-01", root["h"]!.GetValue<string>());
    }

    [Fact]
    public void Anchors_and_aliases_within_budget_are_expanded()
    {
        var root = YamlDocumentReader.Read("base: &b {owner: team-a, lifecycle: production}\ncopy: *b\n", Limits)[0].Root!;
        Assert.Equal("team-a", root["copy"]!["owner"]!.GetValue<string>());
    }

    [Fact]
    public void A_billion_laughs_alias_bomb_is_refused_quickly_with_its_line()
    {
        var yaml = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var i = 1; i < 10; i++)
        {
            var prev = (char)('a' + i - 1);
            var name = (char)('a' + i);
            yaml.Append(name).Append(": &").Append(name).Append(" [").Append(string.Join(",", Enumerable.Repeat("*" + prev, 9))).Append("]\n");
        }

        var started = DateTime.UtcNow;
        var e = Assert.Throws<CatalogParseException>(() => YamlDocumentReader.Read(yaml.ToString(), Limits));
        Assert.Contains("alias", e.Message, StringComparison.Ordinal);
        Assert.NotNull(e.Line);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2), "refusing the bomb took too long");
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused()
    {
        var yaml = new string('[', 200) + new string(']', 200);
        var e = Assert.Throws<CatalogParseException>(() => YamlDocumentReader.Read(yaml, Limits));
        Assert.Contains("deeper than 64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_keys_and_malformed_yaml_name_their_line()
    {
        var duplicate = Assert.Throws<CatalogParseException>(() => YamlDocumentReader.Read("a: 1\nb: 2\na: 3\n", Limits));
        Assert.Equal(3, duplicate.Line);
        Assert.Contains("duplicate key \"a\"", duplicate.Message, StringComparison.Ordinal);
        var malformed = Assert.Throws<CatalogParseException>(() => YamlDocumentReader.Read("kind: Component\nmetadata:\n  name: [unclosed\n  other: x\n", Limits));
        Assert.StartsWith("malformed YAML", malformed.Message, StringComparison.Ordinal);
        Assert.True(malformed.Line >= 3);
    }

    [Fact]
    public void An_alias_to_an_undefined_anchor_is_refused()
    {
        var e = Assert.Throws<CatalogParseException>(() => YamlDocumentReader.Read("a: *nowhere\n", Limits));
        Assert.Contains("no anchor", e.Message, StringComparison.Ordinal);
    }
}
