using System.Text.Json.Nodes;
using IdpServerless.Functions.Templates.Expressions;

namespace IdpServerless.Tests.Templates;

public class SkeletonRendererTests
{
    private static readonly ExpressionScope Scope = new(new JsonObject
    {
        ["values"] = new JsonObject { ["name"] = "orders", ["envs"] = new JsonArray("dev", "prod"), ["db"] = false, ["labels"] = new JsonObject { ["tier"] = "1" } },
    });

    [Fact]
    public void Values_conditions_and_loops_render_like_fetch_template()
    {
        const string template = "name: ${{ values.name }}\n{% if values.db %}db: yes\n{% elif values.name == 'orders' %}db: no\n{% else %}db: ?\n{% endif %}envs:\n{% for e in values.envs %}  - ${{ loop.index }} ${{ e }}\n{% endfor %}{% for k, v in values.labels %}${{ k }}=${{ v }}{% endfor %}{# dropped #}";
        var output = new SkeletonRenderer().Render(template, Scope, "t");
        Assert.Equal("name: orders\ndb: no\nenvs:\n  - 1 dev\n  - 2 prod\ntier=1", output);
    }

    [Fact]
    public void Whitespace_control_trims_around_tags()
    {
        var output = new SkeletonRenderer().Render("a:\n{%- if values.name %}\n  b{%- endif %}\nc", Scope, "t");
        Assert.Equal("a:\n  b\nc", output);
    }

    [Fact]
    public void Raw_blocks_keep_github_actions_expressions()
    {
        var output = new SkeletonRenderer().Render("tag: {% raw %}${{ github.sha }}{% endraw %} ${{ values.name }}", Scope, "t");
        Assert.Equal("tag: ${{ github.sha }} orders", output);
    }

    [Fact]
    public void Output_size_and_loop_counts_are_bounded()
    {
        var big = new ExpressionScope(new JsonObject { ["values"] = new JsonObject { ["xs"] = new JsonArray(Enumerable.Range(0, 200).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()) } });
        var e = Assert.Throws<TemplateExpressionException>(() => new SkeletonRenderer(maxOutputChars: 1000).Render("{% for x in values.xs %}{% for y in values.xs %}${{ x }}{% endfor %}{% endfor %}", big, "bomb.txt"));
        Assert.Contains("bomb.txt", e.Message, StringComparison.Ordinal);
        var loops = Assert.Throws<TemplateExpressionException>(() => new SkeletonRenderer(maxIterations: 1000).Render("{% for x in values.xs %}{% for y in values.xs %}{% endfor %}{% endfor %}", big, "loops.txt"));
        Assert.Contains("loops ran more than 1000 times", loops.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{% if values.name %}x", "missing '{% endif %}'")]
    [InlineData("{% include 'x' %}", "unsupported tag")]
    [InlineData("{% endif %}", "unexpected '{% endif %}'")]
    public void Malformed_blocks_are_reported_with_the_file_name(string template, string reason)
    {
        var e = Assert.Throws<TemplateExpressionException>(() => new SkeletonRenderer().Render(template, Scope, "src/app.cs"));
        Assert.StartsWith("src/app.cs", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
