using System.Text.Json.Nodes;
using IdpServerless.Functions.Templates.Expressions;

namespace IdpServerless.Tests.Templates;

public class ExpressionTests
{
    private static readonly ExpressionScope Scope = new(new JsonObject
    {
        ["parameters"] = new JsonObject { ["name"] = "Orders-API", ["repoUrl"] = "github.com?owner=acme&repo=orders", ["envs"] = new JsonArray("dev", "prod"), ["port"] = 8080, ["owner"] = "group:default/team-a" },
        ["steps"] = new JsonObject { ["publish-repo"] = new JsonObject { ["output"] = new JsonObject { ["remoteUrl"] = "https://git/acme/orders" } } },
        ["user"] = new JsonObject { ["ref"] = "user:default/jane", ["entity"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "jane" } } },
    });

    [Theory]
    [InlineData("${{ parameters.name }}", "Orders-API")]
    [InlineData("${{ parameters.name | lower }}", "orders-api")]
    [InlineData("${{ parameters.name | upper | replace('-', '_') }}", "ORDERS_API")]
    [InlineData("${{ steps['publish-repo'].output.remoteUrl }}", "https://git/acme/orders")]
    [InlineData("${{ user.entity.metadata.name }}", "jane")]
    [InlineData("${{ user.ref }}", "user:default/jane")]
    [InlineData("${{ parameters.repoUrl | projectSlug }}", "acme/orders")]
    [InlineData("${{ (parameters.repoUrl | parseRepoUrl).owner }}", "acme")]
    [InlineData("${{ parameters.repoUrl | parseRepoUrl | pick('repo') }}", "orders")]
    [InlineData("${{ (parameters.owner | parseEntityRef).name }}", "team-a")]
    [InlineData("${{ parameters.envs | first }}", "dev")]
    [InlineData("${{ parameters.envs | dump }}", "[\"dev\",\"prod\"]")]
    [InlineData("port ${{ parameters.port }} of ${{ parameters.missing }}!", "port 8080 of !")]
    [InlineData("${{ 'yes' if parameters.port > 1024 else 'no' }}", "yes")]
    [InlineData("${{ parameters.name == 'Orders-API' and not parameters.missing }}", "true")]
    public void Expressions_render_as_backstage_templates_do(string text, string expected)
    {
        var value = TemplateText.RenderString(text, Scope);
        Assert.Equal(expected, ExpressionEvaluator.ToText(value));
    }

    [Fact]
    public void A_lone_expression_keeps_its_json_type()
    {
        var list = TemplateText.RenderString("${{ parameters.envs }}", Scope);
        Assert.IsType<JsonArray>(list);
        Assert.Equal(2, ((JsonArray)list!).Count);
        var number = TemplateText.RenderString(" ${{ parameters.port }} ", Scope);
        Assert.Equal(8080, number!.GetValue<int>());
    }

    [Fact]
    public void Nested_inputs_are_rendered_everywhere()
    {
        var input = JsonNode.Parse("""{"a":{"b":["${{ parameters.name | lower }}", 3, true]},"c":"x-${{ parameters.port }}"}""");
        var rendered = TemplateText.RenderNode(input, Scope)!.ToJsonString();
        Assert.Equal("""{"a":{"b":["orders-api",3,true]},"c":"x-8080"}""", rendered);
    }

    [Theory]
    [InlineData("${{ parameters.name | exec('rm') }}", "unknown filter 'exec'")]
    [InlineData("${{ parameters.name( }}", "Cannot parse")]
    [InlineData("${{ parameters.name", "Unterminated")]
    [InlineData("${{ parameters.name; x }}", "unexpected character ';'")]
    public void Broken_or_unsafe_expressions_are_refused_with_a_reason(string text, string reason)
    {
        var e = Assert.Throws<TemplateExpressionException>(() => TemplateText.RenderString(text, Scope));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_conditions_follow_javascript_truthiness_and_the_false_string()
    {
        Assert.True(TemplateText.IsTrue(JsonValue.Create("${{ parameters.port }}"), Scope));
        Assert.False(TemplateText.IsTrue(JsonValue.Create("${{ parameters.missing }}"), Scope));
        Assert.False(TemplateText.IsTrue(JsonValue.Create("false"), Scope));
        Assert.False(TemplateText.IsTrue(JsonValue.Create(false), Scope));
        Assert.True(TemplateText.IsTrue(JsonValue.Create("${{ 'dev' in parameters.envs }}"), Scope));
    }
}
