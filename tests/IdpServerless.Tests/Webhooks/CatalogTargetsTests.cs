using IdpServerless.Functions.Webhooks;

namespace IdpServerless.Tests.Webhooks;

/// <summary>Which registered locations a push touches (pure logic, no storage).</summary>
public class CatalogTargetsTests
{
    private static PushEvent Push(string repo, string branch, params string[] paths) =>
        new(GitHosts.GitHub, repo, "refs/heads/" + branch, "main", "abc", paths);

    [Theory]
    [InlineData("git:acme/shop/catalog-info.yaml", "main", "catalog-info.yaml", true)]
    [InlineData("git:acme/shop/catalog-info.yaml", "feature", "catalog-info.yaml", false)]
    [InlineData("git:ACME/Shop/catalog-info.yaml", "main", "catalog-info.yaml", true)]
    [InlineData("git:acme/shop/catalog-info.yaml?ref=release", "release", "catalog-info.yaml", true)]
    [InlineData("git:acme/shop/catalog-info.yaml?ref=release", "main", "catalog-info.yaml", false)]
    [InlineData("https://github.com/acme/shop/blob/release/services/api/catalog-info.yaml", "release", "services/api/catalog-info.yaml", true)]
    [InlineData("https://github.com/acme/shop/tree/main/services/api/catalog-info.yaml", "main", "services/web/catalog-info.yaml", false)]
    [InlineData("https://github.com/acme/shop/blob/main/**/catalog-info.yaml", "main", "services/deep/web/catalog-info.yaml", true)]
    [InlineData("https://github.com/acme/shop/blob/main/**/catalog-info.yaml", "main", "catalog-info.yaml", true)]
    [InlineData("https://github.com/acme/shop/blob/main/services/*/catalog-info.yaml", "main", "services/a/b/catalog-info.yaml", false)]
    [InlineData("https://github.com/acme/other/blob/main/catalog-info.yaml", "main", "catalog-info.yaml", false)]
    [InlineData("file:///data/catalog-info.yaml", "main", "catalog-info.yaml", false)]
    public void A_location_is_touched_only_by_its_repository_branch_and_path(string target, string branch, string changed, bool touched)
    {
        var result = CatalogTargets.Touched(Push("acme/shop", branch, changed, "README.md"), [target]);
        Assert.Equal(touched, result.Contains(target));
    }

    [Fact]
    public void GitLab_blob_urls_with_nested_groups_are_understood()
    {
        var parsed = CatalogTargets.Parse("https://gitlab.example.com/platform/backend/orders/-/blob/main/catalog-info.yaml");
        Assert.Equal(("platform/backend/orders", "main", "catalog-info.yaml"), parsed);
    }

    [Fact]
    public void A_tag_push_touches_no_location()
    {
        var tagPush = new PushEvent(GitHosts.GitHub, "acme/shop", "refs/tags/v1", "main", "abc", ["catalog-info.yaml"]);
        Assert.Empty(CatalogTargets.Touched(tagPush, ["git:acme/shop/catalog-info.yaml"]));
    }
}
