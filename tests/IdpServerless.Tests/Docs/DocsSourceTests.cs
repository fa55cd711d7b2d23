using IdpServerless.Functions.Docs;
using IdpServerless.Functions.Docs.Sources;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Git.Local;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace IdpServerless.Tests.Docs;

public sealed class DocsSourceTests
{
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task A_file_location_site_builds_with_the_mkdocs_nav_titles_links_and_assets()
    {
        using var folder = new DocsFolder();
        folder.WriteSite("payments");
        var catalogFile = folder.Write("payments/catalog-info.yaml", "kind: Component");
        var entity = DocsFolder.Entity("payments", new Dictionary<string, string>
        {
            [DocsKeys.TechDocsRef] = "dir:.",
            [DocsKeys.ManagedByLocation] = "file:" + catalogFile,
        });

        var source = await DocsFolder.Resolver().OpenAsync(entity, Ct);
        var built = await DocsFolder.Builder().BuildAsync(entity, source, Ct);

        Assert.Equal("Payments Docs", built.Site.SiteName);
        Assert.Equal(["index.md", "architecture.md", "ops/runbook.md"], built.Site.Pages.Select(p => p.Path));
        Assert.Equal(["Overview", "Architecture", "Runbook"], built.Site.Pages.Select(p => p.Title));
        Assert.Contains("unlisted.md", built.Site.AllPages);
        Assert.Equal(["img/arch.png"], built.Site.Assets);
        Assert.Equal("image/png", built.Assets["img/arch.png"].ContentType);
        var index = built.Pages["index.md"];
        Assert.Contains("href=\"/catalog/default/component/payments?tab=docs&amp;doc=ops%2Frunbook.md#restart\"", index.Html);
        Assert.Contains("src=\"/api/docs/component/default/payments/asset?path=img%2Farch.png\"", index.Html);
        Assert.Equal("docs/index.md", index.SourcePath);
        Assert.Contains(built.Pages["ops/runbook.md"].Toc, t => t is { Id: "restart", Level: 2 });
        Assert.Null(built.Site.SourceSha);
    }

    [Fact]
    public async Task Without_mkdocs_every_markdown_file_under_docs_is_a_page_with_index_first()
    {
        using var folder = new DocsFolder();
        folder.Write("svc/docs/zeta.md", "# Zeta\n");
        folder.Write("svc/docs/alpha.md", "no heading here\n");
        folder.Write("svc/docs/index.md", "# Start\n");
        folder.Write("svc/README.md", "# Not docs\n");
        var entity = DocsFolder.Entity("svc", new Dictionary<string, string>
        {
            [DocsKeys.TechDocsRef] = "dir:./svc",
            [DocsKeys.ManagedByLocation] = "file:" + Path.Combine(folder.Root, "catalog-info.yaml"),
        });

        var built = await DocsFolder.Builder().BuildAsync(entity, await DocsFolder.Resolver().OpenAsync(entity, Ct), Ct);

        Assert.Equal(["index.md", "alpha.md", "zeta.md"], built.Site.Pages.Select(p => p.Path));
        Assert.Equal(["Start", "Alpha", "Zeta"], built.Site.Pages.Select(p => p.Title));
        Assert.Equal("svc", built.Site.SiteName);
    }

    [Fact]
    public async Task A_dir_reference_that_climbs_out_of_the_location_folder_is_refused()
    {
        using var folder = new DocsFolder();
        folder.Write("outside/docs/index.md", "# Secret\n");
        var entity = DocsFolder.Entity("svc", new Dictionary<string, string>
        {
            [DocsKeys.TechDocsRef] = "dir:../outside",
            [DocsKeys.ManagedByLocation] = "file:" + Path.Combine(folder.Root, "inner", "catalog-info.yaml"),
        });
        Directory.CreateDirectory(Path.Combine(folder.Root, "inner"));

        var e = await Assert.ThrowsAsync<DocsSourceException>(() => DocsFolder.Resolver().OpenAsync(entity, Ct));
        Assert.Contains("outside the entity's location folder", e.Message);
    }

    [Fact]
    public async Task Paths_with_dot_dot_are_refused_and_symlinks_out_of_the_folder_are_neither_listed_nor_read()
    {
        using var folder = new DocsFolder();
        using var elsewhere = new DocsFolder();
        var secret = elsewhere.Write("secret.md", "# Secret\n");
        elsewhere.Write("dir/inner.md", "# Inner secret\n");
        folder.Write("svc/docs/index.md", "# Home\n");
        File.CreateSymbolicLink(Path.Combine(folder.Root, "svc/docs/leak.md"), secret);
        Directory.CreateSymbolicLink(Path.Combine(folder.Root, "svc/docs/linked"), Path.Combine(elsewhere.Root, "dir"));
        File.CreateSymbolicLink(Path.Combine(folder.Root, "svc/docs/inside.md"), Path.Combine(folder.Root, "svc/docs/index.md"));
        var source = new FileDocsSource(Path.Combine(folder.Root, "svc"), ".");

        var files = await source.ListFilesAsync(100, Ct);

        Assert.Equal(["docs/index.md", "docs/inside.md"], files);
        await Assert.ThrowsAsync<DocsSourceException>(() => source.ReadAsync("docs/leak.md", 1000, Ct));
        await Assert.ThrowsAsync<DocsSourceException>(() => source.ReadAsync("docs/linked/inner.md", 1000, Ct));
        await Assert.ThrowsAsync<DocsSourceException>(() => source.ReadAsync("../svc/docs/index.md", 1000, Ct));
        await Assert.ThrowsAsync<DocsSourceException>(() => source.ReadAsync("/etc/passwd", 1000, Ct));
        Assert.NotNull(await source.ReadAsync("docs/inside.md", 1000, Ct));
    }

    [Fact]
    public async Task A_git_location_site_builds_from_a_real_repository_at_its_head_commit()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "idp-docs-git-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            var git = new LocalGitProvider(new GitOptions { DataDir = dataDir }, TimeProvider.System, NullLogger<LocalGitProvider>.Instance);
            var repo = new RepoRef("example", "payments-service");
            await git.CreateRepositoryAsync(repo, null, Ct);
            var author = new GitAuthor("Dev", "dev@example.com");
            var commit = await git.CommitAsync(repo, "main",
            [
                new GitChange("service/catalog-info.yaml", "kind: Component\n"u8.ToArray()),
                new GitChange("service/mkdocs.yml", "site_name: From Git\nnav:\n  - Home: index.md\n  - Guide: guide.md\n"u8.ToArray()),
                new GitChange("service/docs/index.md", "# Welcome\n\nRead the [guide](guide.md).\n"u8.ToArray()),
                new GitChange("service/docs/guide.md", "# Guide\n\n## Steps\n"u8.ToArray()),
                new GitChange("service/docs/pic.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"u8.ToArray()),
            ], "docs", author, null, Ct);
            var entity = DocsFolder.Entity("payments-service", new Dictionary<string, string>
            {
                [DocsKeys.TechDocsRef] = "dir:.",
                [DocsKeys.ManagedByLocation] = "git:example/payments-service/service/catalog-info.yaml",
            });

            var source = await DocsFolder.Resolver(git).OpenAsync(entity, Ct);
            var built = await DocsFolder.Builder().BuildAsync(entity, source, Ct);

            Assert.Equal(commit.Sha, built.Site.SourceSha);
            Assert.Equal("From Git", built.Site.SiteName);
            Assert.Equal(["index.md", "guide.md"], built.Site.Pages.Select(p => p.Path));
            Assert.Equal(["pic.svg"], built.Site.Assets);
            Assert.Equal("image/svg+xml", built.Assets["pic.svg"].ContentType);
            Assert.Contains("doc=guide.md", built.Pages["index.md"].Html);
            Assert.Equal(commit.Sha, built.Pages["guide.md"].SourceSha);

            // A url: reference to a folder of the same repository reads the same tree.
            var byUrl = entity with { Annotations = new Dictionary<string, string> { [DocsKeys.TechDocsRef] = "url:https://github.com/example/payments-service/tree/main/service" } };
            var again = await DocsFolder.Builder().BuildAsync(byUrl, await DocsFolder.Resolver(git).OpenAsync(byUrl, Ct), Ct);
            Assert.Equal(built.Site.Pages, again.Site.Pages);
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("payments-service")]
    [InlineData("checkout-service")]
    [InlineData("idp-backend")]
    public async Task The_demo_components_docs_build_with_an_architecture_runbook_and_api_usage_page(string name)
    {
        var catalogFile = Path.Combine(RepoPaths.Root, "demo", "catalog", "components.yaml");
        var entity = DocsFolder.Entity(name, new Dictionary<string, string>
        {
            [DocsKeys.TechDocsRef] = "dir:./techdocs/" + name,
            [DocsKeys.ManagedByLocation] = "file:" + catalogFile,
        });
        Assert.Contains("backstage.io/techdocs-ref: dir:./techdocs/" + name, await File.ReadAllTextAsync(catalogFile, Ct));

        var built = await DocsFolder.Builder().BuildAsync(entity, await DocsFolder.Resolver().OpenAsync(entity, Ct), Ct);

        Assert.Equal(["index.md", "architecture.md", "runbook.md", "api-usage.md"], built.Site.Pages.Select(p => p.Path));
        Assert.All(built.Pages.Values, p => Assert.NotEmpty(p.Toc));
    }
}
