using IdpServerless.Functions.Docs;
using IdpServerless.Functions.Docs.Search;

namespace IdpServerless.Tests.Docs;

public sealed class DocsSearchTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    private static DocPage Page(string title, string text, params string[] headings) =>
        new(title, "<p>x</p>", headings.Select((h, i) => new TocEntry("h" + i, h, 2)).ToList(), "docs/x.md", At, null, text);

    private static DocsSite Site(string entityRef, params string[] paths) =>
        new(entityRef, "site", At, null, "f", "file:/x", paths.Select(p => new DocPageRef(p, p)).ToList(), paths, []);

    private static DocsSearchIndex Index()
    {
        var index = new DocsSearchIndex();
        index.Put(Site("component:default/payments", "index.md", "runbook.md"), "e1",
        [
            ("index.md", Page("Payments overview", "The payments service authorizes card payments and talks to the ledger.")),
            ("runbook.md", Page("Runbook", "When the ledger is slow, restart the ledger pods. Rollback with the deploy button.", "Restarting the ledger")),
        ]);
        index.Put(Site("component:default/ledger", "index.md"), "e2",
        [
            ("index.md", Page("Ledger", "Double-entry ledger for payments. <script>alert(1)</script> & friends.")),
        ]);
        index.Put(Site("api:default/ledger-api", "index.md"), "e3",
        [
            ("index.md", Page("Ledger API", "REST endpoints of the ledger.")),
        ]);
        return index;
    }

    [Fact]
    public void A_word_in_the_title_ranks_above_the_same_word_in_the_body()
    {
        var hits = Index().Search("ledger", null, 10);

        Assert.Equal(["component:default/ledger", "api:default/ledger-api"], hits.Take(2).Select(h => h.EntityRef).Order(StringComparer.Ordinal).Reverse());
        Assert.All(hits.Take(2), h => Assert.StartsWith("Ledger", h.Title));
        Assert.True(hits[1].Score > hits[2].Score, "title matches score above body matches");
        Assert.Equal(4, hits.Count);
        Assert.True(hits.Single(h => h.Path == "runbook.md").Score > hits.Single(h => h.EntityRef == "component:default/payments" && h.Path == "index.md").Score,
            "a heading and repeated mentions rank above a single mention");
    }

    [Fact]
    public void Words_match_by_prefix_and_every_word_must_match()
    {
        var index = Index();

        Assert.Equal(["runbook.md"], index.Search("restar", null, 10).Select(h => h.Path));
        Assert.Equal(["runbook.md"], index.Search("ledg rollb", null, 10).Select(h => h.Path));
        Assert.Empty(index.Search("ledger kubernetes", null, 10));
        Assert.Empty(index.Search("   ", null, 10));
    }

    [Fact]
    public void Snippets_mark_the_matched_words_and_escape_the_text()
    {
        var hit = Index().Search("double", null, 10).Single();

        Assert.Contains("<mark>Double</mark>-entry", hit.Snippet);
        Assert.Contains("&lt;script&gt;", hit.Snippet);
        Assert.DoesNotContain("<script>", hit.Snippet);
        Assert.Contains("&amp; friends", hit.Snippet);
    }

    [Fact]
    public void The_kind_filter_and_limit_narrow_the_results()
    {
        var index = Index();

        Assert.Equal(["api:default/ledger-api"], index.Search("ledger", "API", 10).Select(h => h.EntityRef));
        Assert.Single(index.Search("ledger", null, 1));
    }

    [Fact]
    public void A_rebuilt_site_replaces_its_old_pages_and_a_removed_site_is_gone()
    {
        var index = Index();
        index.Put(Site("component:default/ledger", "index.md") with { BuiltAt = At.AddMinutes(1) }, "e4", [("index.md", Page("Ledger", "Now about accounts."))]);

        Assert.Empty(index.Search("double", null, 10));
        Assert.Single(index.Search("accounts", null, 10));
        index.Remove("component:default/ledger");
        Assert.Empty(index.Search("accounts", null, 10));
        Assert.Null(index.GetSite("component:default/ledger"));
    }
}
