using System.Diagnostics;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Templates.Schema;

namespace IdpServerless.Tests.Templates;

public class ParameterSchemasTests
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
        Assert.Empty(ParameterSchemas.Validate(Schema, values));
    }

    [Fact]
    public void Every_invalid_field_is_named_by_its_path()
    {
        var values = JsonNode.Parse("""{"name":"X!","tier":"bronze","replicas":1.5,"ratio":1,"tags":["toolong","toolong"],"db":{"engine":"mysql","size":"big"},"hasCache":true}""");
        var errors = ParameterSchemas.Validate(Schema, values);
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
        var errors = ParameterSchemas.Validate(Schema, JsonNode.Parse("""{"name":"abcdefghijkl","owner":"o","replicas":9,"tags":[]}"""));
        Assert.Equal(["must be at most 10 characters"], errors["name"]);
        Assert.Equal(["must be at most 5"], errors["replicas"]);
        Assert.Equal(["must have at least 1 item"], errors["tags"]);
    }

    [Fact]
    public void Defaults_fill_only_absent_fields()
    {
        var schema = (JsonObject)JsonNode.Parse("""{"properties":{"a":{"default":"x"},"b":{"default":2},"o":{"type":"object","default":{},"properties":{"c":{"default":true}}}}}""")!;
        var values = (JsonObject)JsonNode.Parse("""{"a":"given"}""")!;
        ParameterSchemas.ApplyDefaults(schema, values);
        Assert.Equal("""{"a":"given","b":2,"o":{"c":true}}""", values.ToJsonString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("\"$schema\":\"http://json-schema.org/draft-07/schema#\",")]
    [InlineData("\"$schema\":\"https://json-schema.org/draft/2019-09/schema\",")]
    [InlineData("\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",")]
    public void A_catastrophic_pattern_times_out_instead_of_hanging_whatever_the_dialect(string dialect)
    {
        var schema = (JsonObject)JsonNode.Parse("{" + dialect + """ "properties":{"x":{"type":"string","pattern":"^(a+)+$"}},"patternProperties":{"^(b+)+$":{}}}""")!;
        var started = Stopwatch.StartNew();
        var errors = ParameterSchemas.Validate(schema, JsonNode.Parse($$"""{"x":"{{new string('a', 40)}}!","{{new string('b', 40)}}!":1}"""));
        Assert.Equal(["took too long to check against the pattern"], errors["x"]);
        Assert.Equal(["took too long to check against the pattern"], errors[""]);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
    }

    [Fact]
    public void A_pattern_that_is_not_a_regular_expression_names_the_field_and_the_template()
    {
        var schema = Parse("""{"properties":{"x":{"type":"string","pattern":"(["}}}""");
        Assert.Equal(["cannot be checked: the template's pattern '([' is not a valid regular expression"], ParameterSchemas.Validate(schema, JsonNode.Parse("""{"x":"a"}"""))["x"]);
    }

    [Fact]
    public void Patterns_are_ecmascript_and_a_dotnet_only_pattern_still_works()
    {
        var schema = Parse("""{"properties":{"digits":{"type":"string","pattern":"^\\d+$"},"word":{"type":"string","pattern":"^\\p{L}+$"}}}""");
        Assert.Empty(ParameterSchemas.Validate(schema, JsonNode.Parse("""{"digits":"042","word":"Zo\u00eb"}""")));
        var errors = ParameterSchemas.Validate(schema, JsonNode.Parse("""{"digits":"\u0661\u0662","word":"a1"}"""));
        Assert.Equal(["must match the pattern ^\\d+$"], errors["digits"]);
        Assert.Equal(["must match the pattern ^\\p{L}+$"], errors["word"]);
    }

    [Fact]
    public void Draft07_refs_into_definitions_report_the_referring_field_with_the_referenced_rule()
    {
        var schema = Parse("""
            {
              "definitions": { "port": { "type": "integer", "minimum": 1024 }, "name": { "type": "string" } },
              "properties": {
                "port": { "$ref": "#/definitions/port" },
                "short": { "$ref": "#/definitions/name", "maxLength": 3 },
                "ports": { "type": "array", "items": { "$ref": "#/definitions/port" } }
              }
            }
            """);
        var errors = ParameterSchemas.Validate(schema, JsonNode.Parse("""{"port":80,"short":"abcdef","ports":[2000,"x"]}"""));
        Assert.Equal(["must be at least 1024"], errors["port"]);
        Assert.Equal(["must be at most 3 characters"], errors["short"]);
        Assert.Equal(["must be a whole number"], errors["ports[1]"]);
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void A_2020_12_schema_gets_defs_dependent_required_prefix_items_and_unevaluated_properties()
    {
        const string Body = """
            "$defs": { "env": { "enum": ["dev", "prod"] } },
            "properties": {
              "envs": { "type": "array", "items": { "$ref": "#/$defs/env" } },
              "pair": { "type": "array", "prefixItems": [{ "type": "string" }, { "type": "integer" }] },
              "tls": { "type": "boolean" },
              "cert": { "type": "string" }
            },
            "dependentRequired": { "tls": ["cert"] },
            "unevaluatedProperties": false
            """;
        var values = JsonNode.Parse("""{"envs":["dev","moon"],"pair":["a","b"],"tls":true,"extra":1}""");

        var errors = ParameterSchemas.Validate(Parse("""{"$schema":"https://json-schema.org/draft/2020-12/schema",""" + Body + "}"), values);
        Assert.Equal(["must be one of: dev, prod"], errors["envs[1]"]);
        Assert.Equal(["must be a whole number"], errors["pair[1]"]);
        Assert.Equal(["is required when tls is set"], errors["cert"]);
        Assert.Equal(["is not allowed"], errors["extra"]);
        Assert.Equal(4, errors.Count);

        // Without $schema the schema is draft-07: $ref still finds $defs, but the other three are unknown keywords there.
        Assert.Equal(["envs[1]"], ParameterSchemas.Validate(Parse("{" + Body + "}"), values).Keys);
    }

    [Theory]
    [InlineData("""{"kind":"db"}""", "engine")]
    [InlineData("""{"kind":"web"}""", "port")]
    public void If_then_else_applies_the_branch_and_the_condition_itself_is_no_error(string values, string missing)
    {
        var schema = Parse("""
            {
              "properties": { "kind": { "enum": ["db", "web"] } },
              "if": { "properties": { "kind": { "const": "db" } }, "required": ["kind"] },
              "then": { "required": ["engine"] },
              "else": { "required": ["port"] }
            }
            """);
        var errors = ParameterSchemas.Validate(schema, JsonNode.Parse(values));
        Assert.Equal([missing], errors.Keys);
        Assert.Equal(["is required"], errors[missing]);
    }

    [Fact]
    public void Alternatives_a_passing_any_of_hides_and_the_closest_one_is_reported_when_none_passes()
    {
        var anyOf = Parse("""{"anyOf":[{"required":["catalogInfoUrl"]},{"required":["repoContentsUrl"]}]}""");
        Assert.Empty(ParameterSchemas.Validate(anyOf, JsonNode.Parse("""{"repoContentsUrl":"x"}""")));
        Assert.Equal(new Dictionary<string, string[]> { ["input.catalogInfoUrl"] = ["is required"] }, ParameterSchemas.Validate(anyOf, JsonNode.Parse("{}"), "input"));

        var oneOf = Parse("""{"properties":{"size":{"oneOf":[{"type":"integer","minimum":1},{"type":"string","enum":["small","large"]}]}}}""");
        Assert.Equal(["must be at least 1"], ParameterSchemas.Validate(oneOf, JsonNode.Parse("""{"size":0}"""))["size"]);
        Assert.Equal(["must be one of: small, large"], ParameterSchemas.Validate(oneOf, JsonNode.Parse("""{"size":"huge"}"""))["size"]);

        var both = Parse("""{"oneOf":[{"type":"integer"},{"type":"number"}]}""");
        Assert.Equal(["matches more than one of the allowed alternatives"], ParameterSchemas.Validate(both, JsonNode.Parse("3"))[""]);
    }

    [Fact]
    public void Not_and_contains_say_what_is_wrong_and_not_why_each_item_missed()
    {
        var schema = Parse("""{"properties":{"tags":{"type":"array","contains":{"const":"prod"}},"name":{"not":{"const":"admin"}}}}""");
        var errors = ParameterSchemas.Validate(schema, JsonNode.Parse("""{"tags":["dev","test"],"name":"admin"}"""));
        Assert.Equal(["must contain a matching item"], errors["tags"]);
        Assert.Equal(["matches a schema it must not match"], errors["name"]);
        Assert.Equal(2, errors.Count);
        Assert.Empty(ParameterSchemas.Validate(schema, JsonNode.Parse("""{"tags":["dev","prod"],"name":"bob"}""")));
    }

    [Fact]
    public void Formats_are_asserted()
    {
        var schema = Parse("""
            {"properties":{
              "mail":{"type":"string","format":"email"},"day":{"type":"string","format":"date"},"at":{"type":"string","format":"date-time"},
              "site":{"type":"string","format":"url"},"id":{"type":"string","format":"uuid"},"ip":{"type":"string","format":"ipv4"},
              "custom":{"type":"string","format":"team-name"}}}
            """);
        Assert.Empty(ParameterSchemas.Validate(schema, JsonNode.Parse("""
            {"mail":"a@example.com","day":"2026-02-28","at":"2026-02-28T10:00:00Z","site":"https://example.com/x","id":"0f8fad5b-d9cb-469f-a165-70867728950e","ip":"10.0.0.1","custom":"anything"}
            """)));
        var errors = ParameterSchemas.Validate(schema, JsonNode.Parse("""
            {"mail":"not-an-address","day":"2026-02-30","at":"tomorrow","site":"/relative","id":"nope","ip":"999.0.0.1","custom":"anything"}
            """));
        Assert.Equal(["must be a valid email"], errors["mail"]);
        Assert.Equal(["must be a valid date"], errors["day"]);
        Assert.Equal(["must be a valid date-time"], errors["at"]);
        Assert.Equal(["must be a valid url"], errors["site"]);
        Assert.Equal(["must be a valid uuid"], errors["id"]);
        Assert.Equal(["must be a valid ipv4"], errors["ip"]);
        Assert.False(errors.ContainsKey("custom"));
    }

    [Fact]
    public void Empty_strings_and_nulls_count_as_absent()
    {
        var schema = Parse("""{"required":["name","owner"],"properties":{"name":{"type":"string"},"owner":{"type":"string"},"system":{"type":"string","pattern":"^[a-z]+$"},"db":{"type":"object","required":["engine"]}}}""");
        var errors = ParameterSchemas.Validate(schema, JsonNode.Parse("""{"name":"","owner":null,"system":"","db":{"engine":""}}"""));
        Assert.Equal(["db.engine", "name", "owner"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.All(errors.Values, m => Assert.Equal(["is required"], m));
    }

    [Theory]
    [InlineData("""{"properties":{"a":{"$ref":"#/definitions/missing"}}}""", "Could not resolve")]
    [InlineData("""{"$ref":"#"}""", "Cycle detected")]
    [InlineData("""{"$schema":"http://json-schema.org/draft-04/schema#","type":"object"}""", "draft-04")]
    [InlineData("""{"properties":{"a":{"minimum":"5"}}}""", "'minimum' value must be a number")]
    public void A_schema_the_library_cannot_use_is_an_error_at_the_root_not_an_exception(string schema, string reason)
    {
        var errors = ParameterSchemas.Validate(Parse(schema), JsonNode.Parse("""{"a":1}"""), "input");
        var message = Assert.Single(Assert.Single(errors, e => e.Key == "input").Value);
        Assert.StartsWith("cannot be checked: the template's schema is not valid JSON Schema (", message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
        Assert.DoesNotContain("schema.idp.invalid", message, StringComparison.Ordinal);
    }

    private static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;
}
