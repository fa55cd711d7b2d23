using IdpServerless.Functions.Docs.Rendering;
using IdpServerless.Functions.Docs.Sources;

namespace IdpServerless.Tests.Docs;

public sealed class MarkdownRenderingTests
{
    private static readonly RenderContext Context = new("guides/setup.md", "/catalog/component/default/pay?tab=docs&doc=", "/api/docs/component/default/pay/asset?path=");

    [Fact]
    public void Headings_get_ids_and_make_the_table_of_contents()
    {
        var page = MarkdownRenderer.Render("# Setting up\n\nIntro.\n\n## Install the `cli`\n\ntext\n\n### Check it works\n", Context);

        Assert.Equal("Setting up", page.FirstHeading);
        Assert.Equal(["setting-up", "install-the-cli", "check-it-works"], page.Toc.Select(t => t.Id));
        Assert.Equal(["Setting up", "Install the cli", "Check it works"], page.Toc.Select(t => t.Text));
        Assert.Equal([1, 2, 3], page.Toc.Select(t => t.Level));
        Assert.Contains("<h2 id=\"install-the-cli\">", page.Html);
    }

    [Fact]
    public void Relative_markdown_links_point_at_the_apps_doc_route_and_keep_their_anchor()
    {
        var page = MarkdownRenderer.Render("[runbook](../runbook.md#restart) [sibling](other.md) [folder](deep/) [site](https://example.com/x) [portal](/catalog/component/default/other?tab=docs)", Context);

        Assert.Contains("href=\"/catalog/component/default/pay?tab=docs&amp;doc=runbook.md#restart\"", page.Html);
        Assert.Contains("href=\"/catalog/component/default/pay?tab=docs&amp;doc=guides%2Fother.md\"", page.Html);
        Assert.Contains("href=\"/catalog/component/default/pay?tab=docs&amp;doc=guides%2Fdeep%2Findex.md\"", page.Html);
        Assert.Contains("href=\"https://example.com/x\" rel=\"noopener noreferrer nofollow\"", page.Html);
        Assert.Contains("href=\"/catalog/component/default/other?tab=docs\"", page.Html);
    }

    [Fact]
    public void Relative_images_are_served_by_the_asset_endpoint()
    {
        var page = MarkdownRenderer.Render("![diagram](../img/arch.png) ![logo](logo.svg)", Context);

        Assert.Contains("src=\"/api/docs/component/default/pay/asset?path=img%2Farch.png\"", page.Html);
        Assert.Contains("src=\"/api/docs/component/default/pay/asset?path=guides%2Flogo.svg\"", page.Html);
        Assert.Contains("alt=\"diagram\"", page.Html);
    }

    [Fact]
    public void Links_that_leave_the_docs_tree_point_nowhere()
    {
        var page = MarkdownRenderer.Render("[escape](../../../etc/passwd.md) ![x](../../secret.png)", Context);

        Assert.DoesNotContain("passwd", page.Html);
        Assert.DoesNotContain("secret", page.Html);
    }

    [Fact]
    public void Hostile_markdown_leaves_no_script_event_handler_or_dangerous_url()
    {
        const string hostile = """
            # Hi <script>alert(1)</script>

            <img src=x onerror="alert(2)">
            <iframe src="https://evil.example"></iframe>
            <a href="javascript:alert(3)">raw link</a>

            [click](javascript:alert(4)) [click2](JaVaScRiPt:alert(5)) [click3](  java	script:alert(6))
            [vb](vbscript:msgbox(7)) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCg4KTwvc2NyaXB0Pg==)
            ![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoOSk+) ![js](javascript:alert(10))

            [ref link][evil]

            [evil]: javascript:alert(11)

            Paragraph with attributes {onclick="alert(12)" style="color:red" #ok-id .fine}

            [attr link](https://example.com){onmouseover="alert(13)"}

            ![yt](https://www.youtube.com/watch?v=dQw4w9WgXcQ)

            <javascript:alert(14)>

            <svg onload="alert(15)"><script>alert(16)</script></svg>
            """;

        var html = MarkdownRenderer.Render(hostile, Context).Html;

        var tags = System.Text.RegularExpressions.Regex.Matches(html, "<[a-zA-Z][^>]*>").Select(m => m.Value).ToList();
        Assert.NotEmpty(tags);
        Assert.DoesNotContain(tags, t => t.StartsWith("<script", StringComparison.OrdinalIgnoreCase) || t.StartsWith("<iframe", StringComparison.OrdinalIgnoreCase) || t.StartsWith("<svg", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(tags, t => System.Text.RegularExpressions.Regex.IsMatch(t, @"\son[a-z]+\s*=", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
        Assert.DoesNotContain(tags, t => t.Contains(" style=", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(tags, t => System.Text.RegularExpressions.Regex.IsMatch(t, "(href|src)=\"\\s*(javascript|vbscript|data):", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
        Assert.DoesNotContain(tags, t => t.Contains("javascript", StringComparison.OrdinalIgnoreCase) || t.Contains("data:", StringComparison.OrdinalIgnoreCase));
        // Raw HTML is shown as text, not dropped silently: the reader sees what the author wrote.
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("&lt;a href=\"javascript:alert(3)\"&gt;raw link", html);
        // Safe parts of the same input survive.
        Assert.Contains("id=\"ok-id\"", html);
        Assert.Contains("class=\"fine\"", html);
        Assert.Contains("href=\"https://example.com/\"", html);
    }

    [Fact]
    public void The_sanitizer_drops_unknown_tags_attributes_and_script_content_from_any_html()
    {
        var html = DocsHtml.Sanitize("<p onclick=\"x()\" id=\"a b\">ok<script>bad()</script><style>p{}</style><b>bold</b><a href=\" javascript:x\">l</a><img src=\"data:image/png;base64,AAA\"><form action=\"/x\"><input type=\"text\" value=\"x\"></form><input type=\"checkbox\" checked>");

        // Parsed as a browser parses it (HTML5: a <form> start tag closes the open <p>), then only the allowed part kept.
        Assert.Equal("<p>ok<b>bold</b><a>l</a></p><input type=\"checkbox\" checked=\"\" disabled=\"\">", html);
    }

    [Fact]
    public void The_sanitizer_refuses_protocol_relative_links_non_http_images_and_foreign_content()
    {
        var html = DocsHtml.Sanitize("<p><a href=\"//evil.example/x\">p</a> <a href=\"mailto:a@b.c\">m</a> <img src=\"mailto:a@b.c\"> <a href=\"https://x.example/a?b=1&amp;c=2\">q</a><svg><a href=x>in svg</a></svg><math><mi>x</mi></math>after</p>");

        Assert.Equal("<p><a>p</a> <a href=\"mailto:a@b.c\">m</a>  <a href=\"https://x.example/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\">q</a>after</p>", html);
    }

    [Fact]
    public void Mkdocs_config_gives_site_name_docs_dir_and_a_flattened_nav_and_ignores_python_tags()
    {
        var config = MkDocsConfig.Parse("""
            site_name: Payments
            docs_dir: documentation
            markdown_extensions:
              - pymdownx.emoji:
                  emoji_index: !!python/name:material.extensions.emoji.twemoji
            nav:
              - Home: index.md
              - Guides:
                  - Setup: guides/setup.md
                  - guides/faq.md
              - GitHub: https://github.com/example
              - Runbook: runbook.md
            """u8.ToArray());

        Assert.Equal("Payments", config.SiteName);
        Assert.Equal("documentation", config.DocsDir);
        Assert.Equal(["index.md", "guides/setup.md", "guides/faq.md", "runbook.md"], config.Nav.Select(n => n.Path));
        Assert.Equal(["Home", "Setup", null, "Runbook"], config.Nav.Select(n => n.Title));
        Assert.Equal("Guides", config.Nav[1].Section);
    }

    [Fact]
    public void Mkdocs_docs_dir_outside_the_tree_is_refused()
    {
        var e = Assert.Throws<DocsSourceException>(() => MkDocsConfig.Parse("docs_dir: ../../etc\n"u8.ToArray()));
        Assert.Contains("docs_dir", e.Message);
    }
}
