using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Model;

namespace IdpServerless.Tests.Catalog;

/// <summary>Backstage's entity refs, name rules and kind schemas.</summary>
public class EntityModelTests
{
    [Theory]
    [InlineData("component:team-a/svc", null, null, "component:team-a/svc")]
    [InlineData("svc", "Group", null, "group:default/svc")]
    [InlineData("team-a/svc", "Group", null, "group:team-a/svc")]
    [InlineData("Component:Svc", null, "other", "component:other/svc")]
    [InlineData("user:jane.doe", "Group", "ns", "user:ns/jane.doe")]
    [InlineData("a/b:c", "Group", null, "group:a/b:c")]
    public void Refs_get_the_defaults_Backstage_applies_and_are_lowercased(string text, string? defaultKind, string? defaultNamespace, string expected)
    {
        Assert.Equal(expected, EntityRef.Parse(text, defaultKind, defaultNamespace).ToString());
    }

    [Theory]
    [InlineData("svc", "had missing or empty kind")]
    [InlineData(":default/svc", "was not on the form")]
    [InlineData("component:/svc", "was not on the form")]
    [InlineData("component:default/", "was not on the form")]
    public void A_ref_without_a_kind_and_no_default_or_with_an_empty_part_is_refused(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => EntityRef.Parse(text));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("my-service_2.0", true)]
    [InlineData("LoremService", true)]
    [InlineData("-leading", false)]
    [InlineData("trailing.", false)]
    [InlineData("has space", false)]
    [InlineData("ünïcode", false)]
    [InlineData("", false)]
    public void Entity_names_follow_Backstage_rules(string name, bool valid)
    {
        Assert.Equal(valid, EntityNames.IsValidObjectName(name));
        Assert.False(EntityNames.IsValidObjectName(new string('a', 64)));
    }

    [Theory]
    [InlineData("default", true)]
    [InlineData("team-a", true)]
    [InlineData("Team-A", false)]
    [InlineData("team--a", false)]
    [InlineData("team_a", false)]
    public void Namespaces_and_tags_are_lowercase_dns_labels(string value, bool valid)
    {
        Assert.Equal(valid, EntityNames.IsValidNamespace(value));
        Assert.Equal(valid, EntityNames.IsValidTag(value));
    }

    [Theory]
    [InlineData("backstage.io/techdocs-ref", true)]
    [InlineData("simple", true)]
    [InlineData("Example.com/key", false)]
    [InlineData("a/b/c", false)]
    [InlineData("example.com/", false)]
    public void Annotation_and_label_keys_are_an_optional_dns_prefix_and_a_name(string key, bool valid)
    {
        Assert.Equal(valid, EntityNames.IsValidAnnotationKey(key));
        Assert.Equal(valid, EntityNames.IsValidLabelKey(key));
    }

    [Fact]
    public void Kinds_and_api_versions_follow_Backstage_formats()
    {
        Assert.True(EntityNames.IsValidKind("Component"));
        Assert.False(EntityNames.IsValidKind("1Component"));
        Assert.True(EntityNames.IsValidApiVersion("backstage.io/v1alpha1"));
        Assert.True(EntityNames.IsValidApiVersion("v1"));
        Assert.False(EntityNames.IsValidApiVersion("Backstage.io/v1alpha1"));
    }

    [Fact]
    public void A_valid_entity_of_every_kind_has_no_problems()
    {
        foreach (var yaml in ValidEntities)
        {
            var problems = EntityValidator.Validate(JsonNode.Parse(yaml));
            Assert.True(problems.Count == 0, yaml + " => " + string.Join("; ", problems));
        }
    }

    [Theory]
    [InlineData("Component", "spec.type")]
    [InlineData("Component", "spec.lifecycle")]
    [InlineData("Component", "spec.owner")]
    [InlineData("API", "spec.definition")]
    [InlineData("Resource", "spec.owner")]
    [InlineData("System", "spec.owner")]
    [InlineData("Domain", "spec.owner")]
    [InlineData("Group", "spec.children")]
    [InlineData("User", "spec.memberOf")]
    [InlineData("Template", "spec.steps")]
    public void A_missing_required_spec_field_is_named(string kind, string field)
    {
        var entity = ValidEntities.Select(e => JsonNode.Parse(e)!.AsObject()).First(e => e["kind"]!.GetValue<string>() == kind);
        entity["spec"]!.AsObject().Remove(field["spec.".Length..]);
        var problem = Assert.Single(EntityValidator.Validate(entity));
        Assert.Equal(field, problem.Field);
        Assert.Contains("required", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_kind_is_refused_and_a_miscased_one_gets_a_hint()
    {
        var unknown = EntityValidator.Validate(JsonNode.Parse("""{"apiVersion":"backstage.io/v1alpha1","kind":"Widget","metadata":{"name":"w"},"spec":{}}"""));
        Assert.Contains(unknown, p => p.Field == "kind" && p.Message.Contains("unknown kind \"Widget\"", StringComparison.Ordinal));
        var miscased = EntityValidator.Validate(JsonNode.Parse("""{"apiVersion":"backstage.io/v1alpha1","kind":"component","metadata":{"name":"w"},"spec":{}}"""));
        Assert.Contains(miscased, p => p.Field == "kind" && p.Message.Contains("did you mean \"Component\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_metadata_fields_are_each_named()
    {
        var entity = JsonNode.Parse("""
            {"apiVersion":"backstage.io/v1alpha1","kind":"System","extra":1,
             "metadata":{"name":"bad name","namespace":"Not_OK","tags":["ok","Not OK"],"labels":{"a/b/c":"x"},"annotations":{"k":5},
                         "links":[{"title":"no url"}]},
             "spec":{"owner":"team"}}
            """);
        var fields = EntityValidator.Validate(entity).Select(p => p.Field).ToList();
        Assert.Contains("extra", fields);
        Assert.Contains("metadata.name", fields);
        Assert.Contains("metadata.namespace", fields);
        Assert.Contains("metadata.tags[1]", fields);
        Assert.Contains("metadata.labels.a/b/c", fields);
        Assert.Contains("metadata.annotations.k", fields);
        Assert.Contains("metadata.links[0].url", fields);
    }

    [Fact]
    public void DependsOn_refs_must_name_their_kind_as_Backstage_requires()
    {
        var entity = JsonNode.Parse("""{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"c"},"spec":{"type":"service","lifecycle":"production","owner":"t","dependsOn":["db"]}}""");
        var problem = Assert.Single(EntityValidator.Validate(entity));
        Assert.Equal("spec.dependsOn[0]", problem.Field);
        Assert.Contains("missing or empty kind", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Declared_relations_use_each_fields_default_kind_and_the_entitys_namespace()
    {
        var entity = JsonNode.Parse("""
            {"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"c","namespace":"shop"},
             "spec":{"type":"service","lifecycle":"production","owner":"team","system":"other/sys","subcomponentOf":"parent",
                     "providesApis":["api-a"],"consumesApis":["api:default/api-b"],"dependsOn":["resource:db"],"dependencyOf":["component:x"]}}
            """)!.AsObject();
        var declared = EntityRelations.Declared(entity).Select(d => $"{d.Type} {d.TargetRef} {d.ReverseType}").ToList();
        Assert.Equal(
        [
            "ownedBy group:shop/team ownerOf",
            "partOf component:shop/parent hasPart",
            "providesApi api:shop/api-a apiProvidedBy",
            "consumesApi api:default/api-b apiConsumedBy",
            "dependsOn resource:shop/db dependencyOf",
            "dependencyOf component:shop/x dependsOn",
            "partOf system:other/sys hasPart",
        ], declared);
    }

    private static readonly string[] ValidEntities =
    [
        """{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"c"},"spec":{"type":"service","lifecycle":"production","owner":"t"}}""",
        """{"apiVersion":"backstage.io/v1alpha1","kind":"API","metadata":{"name":"a"},"spec":{"type":"openapi","lifecycle":"production","owner":"t","definition":"openapi: 3.0.0"}}""",
        """{"apiVersion":"backstage.io/v1alpha1","kind":"Resource","metadata":{"name":"r"},"spec":{"type":"database","owner":"t"}}""",
        """{"apiVersion":"backstage.io/v1alpha1","kind":"System","metadata":{"name":"s"},"spec":{"owner":"t"}}""",
        """{"apiVersion":"backstage.io/v1alpha1","kind":"Domain","metadata":{"name":"d"},"spec":{"owner":"t"}}""",
        """{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"g"},"spec":{"type":"team","children":[]}}""",
        """{"apiVersion":"backstage.io/v1alpha1","kind":"User","metadata":{"name":"u"},"spec":{"memberOf":[]}}""",
        """{"apiVersion":"backstage.io/v1alpha1","kind":"Location","metadata":{"name":"l"},"spec":{"targets":["./a.yaml"]}}""",
        """{"apiVersion":"scaffolder.backstage.io/v1beta3","kind":"Template","metadata":{"name":"t"},"spec":{"type":"service","steps":[{"action":"fetch:plain"}]}}""",
    ];
}
