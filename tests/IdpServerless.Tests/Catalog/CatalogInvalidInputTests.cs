using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Catalog;

/// <summary>
/// Invalid catalog input gets a 4xx that names the problem (entity, field, line), registers nothing, changes no entity,
/// and leaves the app healthy.
/// </summary>
[Collection("azurite")]
public class CatalogInvalidInputTests(AzuriteFixture azurite, SharedCatalogApp shared) : IClassFixture<SharedCatalogApp>
{
    private const string Good = """
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: existing
        spec:
          type: service
          lifecycle: production
          owner: team-a
        """;

    private Task<CatalogTestApp> AppAsync() => shared.GetAsync(azurite, async app => await app.RegisterOkAsync(app.Write("good/catalog-info.yaml", Good)));

    [Fact]
    public async Task A_bad_entity_name_is_refused_naming_the_entity_field_and_line()
    {
        var problem = await RefusedAsync("bad-name.yaml", """
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: Bad Name!
            spec:
              type: service
              lifecycle: production
              owner: team-a
            """, HttpStatusCode.BadRequest);
        Assert.Contains("component:default/bad name!", problem.Detail, StringComparison.Ordinal);
        Assert.Contains("line 4", problem.Detail, StringComparison.Ordinal);
        Assert.Contains("metadata.name", problem.Errors);
        Assert.Equal(4, problem.Body["problems"]![0]!["line"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_missing_required_field_is_refused_naming_it()
    {
        var problem = await RefusedAsync("no-owner.yaml", Good.Replace("name: existing", "name: ownerless").Replace("  owner: team-a\n", string.Empty).Replace("  owner: team-a", string.Empty), HttpStatusCode.BadRequest);
        Assert.Contains("spec.owner", problem.Errors);
        Assert.Contains("component:default/ownerless", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_kind_is_refused()
    {
        var problem = await RefusedAsync("widget.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Widget\nmetadata:\n  name: w\nspec: {}\n", HttpStatusCode.BadRequest);
        Assert.Contains("unknown kind \"Widget\"", problem.Detail, StringComparison.Ordinal);
        Assert.Contains("kind", problem.Errors);
    }

    [Fact]
    public async Task Malformed_yaml_is_refused_with_its_line()
    {
        var problem = await RefusedAsync("broken.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: [unclosed\n  other: x\n", HttpStatusCode.BadRequest);
        Assert.Contains("malformed YAML", problem.Detail, StringComparison.Ordinal);
        Assert.Matches("line [45]", problem.Detail);
    }

    [Fact]
    public async Task A_yaml_alias_bomb_is_refused_without_expanding_it()
    {
        var yaml = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var i = 1; i < 9; i++)
        {
            yaml.Append((char)('a' + i)).Append(": &").Append((char)('a' + i)).Append(" [").Append(string.Join(",", Enumerable.Repeat("*" + (char)('a' + i - 1), 9))).Append("]\n");
        }

        var problem = await RefusedAsync("bomb.yaml", yaml.ToString(), HttpStatusCode.BadRequest);
        Assert.Contains("alias", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_10_MB_document_is_refused_as_too_large()
    {
        var big = new StringBuilder(Good.Replace("name: existing", "name: big")).Append("\n  description: \"");
        big.Append('x', 10 * 1024 * 1024).Append("\"\n");
        var problem = await RefusedAsync("big.yaml", big.ToString(), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("MiB", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duplicate_entity_in_one_location_is_refused_naming_both_places()
    {
        var twice = Good.Replace("existing", "twin") + "\n---\n" + Good.Replace("existing", "twin");
        var problem = await RefusedAsync("twins.yaml", twice, HttpStatusCode.Conflict);
        Assert.Contains("duplicate entity: component:default/twin is also defined at", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entity_another_location_owns_is_refused_and_the_owner_keeps_it()
    {
        var app = await AppAsync();
        var before = (await app.EntityAsync("component", "existing"))!;
        var problem = await RefusedAsync("steal.yaml", Good.Replace("team-a", "team-b"), HttpStatusCode.Conflict);
        Assert.Contains("component:default/existing", problem.Detail, StringComparison.Ordinal);
        var after = (await app.EntityAsync("component", "existing"))!;
        Assert.Equal(before["metadata"]!["etag"]!.GetValue<string>(), after["metadata"]!["etag"]!.GetValue<string>());
        Assert.Equal("team-a", after["spec"]!["owner"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bad_location_requests_are_refused_naming_the_field()
    {
        var app = await AppAsync();
        foreach (var (body, field) in new (object, string)[]
        {
            (new { type = "ftp", target = "/x" }, "type"),
            (new { type = "file", target = "relative/path.yaml" }, "target"),
            (new { type = "file", target = "/etc/passwd" }, "target"),
            (new { type = "file" }, "target"),
            (new { type = "file", target = Path.Combine(app.Folder, "missing.yaml") }, "target"),
        })
        {
            using var response = await app.Http.PostAsJsonAsync("/api/catalog/locations", body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.True(JsonNode.Parse(text)?["errors"]?[field] is not null, $"{field}: {text}");
        }

        using var notJson = await app.Http.PostAsync("/api/catalog/locations", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        await AssertUnchangedAsync(app);
    }

    private async Task<Refusal> RefusedAsync(string file, string content, HttpStatusCode expected)
    {
        var app = await AppAsync();
        var path = app.Write(file, content);
        using var response = await app.RegisterAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {expected}, got {(int)response.StatusCode}: {text[..Math.Min(text.Length, 2000)]}");
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal((int)expected, body["status"]!.GetValue<int>());
        Assert.Equal((int)expected, body["response"]!["statusCode"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(body["error"]!["message"]!.GetValue<string>()));
        await AssertUnchangedAsync(app);
        var errors = body["errors"] is JsonObject e ? e.Select(p => p.Key).ToList() : [];
        return new Refusal(body["detail"]!.GetValue<string>(), errors, body);
    }

    /// <summary>Only the good location is registered, its one entity is there, and the app is healthy.</summary>
    private static async Task AssertUnchangedAsync(CatalogTestApp app)
    {
        var locations = JsonNode.Parse(await app.Http.GetStringAsync("/api/catalog/locations"))!.AsArray();
        Assert.Single(locations);
        var all = await app.GetJsonAsync("/api/catalog/entities/by-query?fields=metadata.name");
        Assert.Equal(1, all["totalItems"]!.GetValue<int>());
        using var health = await app.Http.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private sealed record Refusal(string Detail, List<string> Errors, JsonObject Body);
}
