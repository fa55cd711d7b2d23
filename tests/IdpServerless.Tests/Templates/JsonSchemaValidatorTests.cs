using System.Text.Json.Nodes;
using IdpServerless.Functions.Templates.Schema;

namespace IdpServerless.Tests.Templates;

public class JsonSchemaValidatorTests
{
    private static readonly JsonObject Schema = (JsonObject)JsonNode.Parse("""
        {
          "type": "object",
          "required": ["name", "owner"],
          "properties": {
            "name": { "type": "string", "pattern": "^[a-z][a-z0-9-]+$", "minLength": 3, "maxLength": 10, "ui:autofocus": true },
            "owner": { "type": "string" },
            "tier": { "type": "string", "enum": ["gold", "silver"] },
            "replicas": { "type": "integer", "minimum": 1, "maximum": 5 },
            "ratio": { "type": "number", "exclusiveMaximum": 1 },
            "tags": { "type": "array", "items": { "type": "string", "maxLength": 5 }, "minItems": 1, "uniqueItems": true },
            "db": { "type": "object", "required": ["engine"], "properties": { "engine": { "type": "string", "enum": ["postgres"] }, "size": { "type": "integer" } } },
            "hasCache": { "type": "boolean" }
          },
          "dependencies": {
            "hasCache": { "oneOf": [
              { "properties": { "hasCache": { "const": true }, "cacheSize": { "type": "integer" } }, "required": ["cacheSize"] },
              { "properties": { "hasCache": { "const": false } } }
            ] }
          }
        }
        """)!;

    [Fact]
    public void Valid_values_pass()
    {
        var values = JsonNode.Parse("""{"name":"orders","owner":"team-a","tier":"gold","replicas":2,"ratio":0.5,"tags":["a","b"],"db":{"engine":"postgres","size":1},"hasCache":false}""");
        Assert.Empty(JsonSchemaValidator.Validate(Schema, values));
    }

    [Fact]
    public void Every_invalid_field_is_named_by_its_path()
    {
        var values = JsonNode.Parse("""{"name":"X!","tier":"bronze","replicas":1.5,"ratio":1,"tags":["toolong","toolong"],"db":{"engine":"mysql","size":"big"},"hasCache":true}""");
        var errors = JsonSchemaValidator.Validate(Schema, values);
        Assert.Contains("must match the pattern ^[a-z][a-z0-9-]+$", errors["name"]);
        Assert.Contains("must be at least 3 characters", errors["name"]);
        Assert.Equal(["is required"], errors["owner"]);
        Assert.Equal(["must be one of: gold, silver"], errors["tier"]);
        Assert.Equal(["must be a whole number"], errors["replicas"]);
        Assert.Equal(["must be less than 1"], errors["ratio"]);
        Assert.Contains("must not contain duplicate items", errors["tags"]);
        Assert.Equal(["must be at most 5 characters"], errors["tags[0]"]);
        Assert.Equal(["must be one of: postgres"], errors["db.engine"]);
        Assert.Equal(["must be a whole number"], errors["db.size"]);
        Assert.Equal(["is required"], errors["cacheSize"]);
    }

    [Fact]
    public void Ranges_lengths_and_item_counts_are_enforced()
    {
        var errors = JsonSchemaValidator.Validate(Schema, JsonNode.Parse("""{"name":"abcdefghijkl","owner":"o","replicas":9,"tags":[]}"""));
        Assert.Equal(["must be at most 10 characters"], errors["name"]);
        Assert.Equal(["must be at most 5"], errors["replicas"]);
        Assert.Equal(["must have at least 1 item"], errors["tags"]);
    }

    [Fact]
    public void Defaults_fill_only_absent_fields()
    {
        var schema = (JsonObject)JsonNode.Parse("""{"properties":{"a":{"default":"x"},"b":{"default":2},"o":{"type":"object","default":{},"properties":{"c":{"default":true}}}}}""")!;
        var values = (JsonObject)JsonNode.Parse("""{"a":"given"}""")!;
        JsonSchemaValidator.ApplyDefaults(schema, values);
        Assert.Equal("""{"a":"given","b":2,"o":{"c":true}}""", values.ToJsonString());
    }

    [Fact]
    public void A_catastrophic_pattern_times_out_instead_of_hanging()
    {
        var schema = (JsonObject)JsonNode.Parse("""{"properties":{"x":{"type":"string","pattern":"^(a+)+$"}}}""")!;
        var errors = JsonSchemaValidator.Validate(schema, JsonNode.Parse($$"""{"x":"{{new string('a', 40)}}!"}"""));
        Assert.True(errors.ContainsKey("x"));
    }
}
