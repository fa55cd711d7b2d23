using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace IdpServerless.Tests.Browser;

/// <summary>The Insights pages in a real browser against the real app and the demo catalog's two scorecards.</summary>
[Collection("portal")]
public class InsightsTests(PortalFixture portal)
{
    private static readonly LocatorWaitForOptions Visible = new() { State = WaitForSelectorState.Visible, Timeout = 30_000 };
    private static readonly LocatorAssertionsToHaveTextOptions TextSoon = new() { Timeout = 30_000 };

    private async Task<JsonElement> GetJsonAsync(string user, string path)
    {
        using var r = await portal.Send(HttpMethod.Get, path, await portal.TokenAsync(user));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task The_scorecards_page_lists_both_demo_scorecards_and_a_level_filter_narrows_a_scorecards_entities()
    {
        var (context, page, errors) = await portal.SignInAsync("alice");
        await using var _ = context;
        await page.GetByTestId("nav-insights").ClickAsync();
        foreach (var name in new[] { "production-readiness", "catalog-hygiene" })
        {
            var card = page.GetByTestId($"scorecard-card-{name}");
            await card.WaitForAsync(Visible);
            await card.GetByTestId("level-count-none").WaitForAsync(Visible);
            Assert.True(await card.Locator("[data-testid^='level-count-']").CountAsync() >= 3); // no level + every level
        }

        Assert.Contains("Bronze", await page.GetByTestId("scorecard-card-production-readiness").InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "insights-scorecards.png"), FullPage = true });

        await page.GetByTestId("scorecard-card-production-readiness").GetByTestId("scorecard-link").ClickAsync();
        await page.GetByTestId("scorecard-teams").WaitForAsync(Visible);
        await page.GetByTestId("scorecard-team-payments-team").WaitForAsync(Visible);
        await page.GetByTestId("scorecard-entity-table").WaitForAsync(Visible);
        await page.GetByTestId("scorecard-entity-component:default/payments-service").WaitForAsync(Visible);
        Assert.Equal("Production readiness", await page.GetByTestId("scorecard-title").InnerTextAsync());

        // A level (or "no level") holding fewer entities than the whole scorecard, by the API's own summary.
        var summary = (await GetJsonAsync("alice", "/api/insights/scorecards/default/production-readiness")).GetProperty("scorecard").GetProperty("summary");
        var entities = summary.GetProperty("entities").GetInt32();
        await Expect(page.GetByTestId("scorecard-entity-count")).ToHaveTextAsync(new Regex($"^{entities} entit"), TextSoon);
        var counts = new List<(string Value, int Count)> { ("none", summary.GetProperty("noLevel").GetInt32()) };
        foreach (var level in new[] { "Bronze", "Silver", "Gold" })
        {
            var found = summary.GetProperty("levels").EnumerateArray().FirstOrDefault(l => l.GetProperty("level").GetString() == level);
            counts.Add((level, found.ValueKind == JsonValueKind.Object ? found.GetProperty("entities").GetInt32() : 0));
        }

        // Prefer a level that holds some entities but not all, so the narrowed list still has rows to check.
        var (value, count) = counts.Where(c => c.Count > 0 && c.Count < entities).DefaultIfEmpty(counts.First(c => c.Count != entities)).First();
        await page.GetByTestId("scorecard-filter-level").SelectOptionAsync(value);
        await Expect(page.GetByTestId("scorecard-entity-count")).ToHaveTextAsync(new Regex($"^{count} entit"), TextSoon);
        Assert.Contains($"level={value}", page.Url, StringComparison.Ordinal);
        Assert.Equal(count, await page.Locator("[data-testid^='scorecard-entity-component:']").CountAsync());
        if (count == 0)
        {
            await page.GetByTestId("scorecard-entities-empty").WaitForAsync(Visible);
        }
        else
        {
            var shown = await page.Locator("[data-testid^='scorecard-entity-component:'] [data-testid='entity-level']").AllInnerTextsAsync();
            Assert.All(shown, s => Assert.Equal(value == "none" ? "No level" : value, s));
        }

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "insights-scorecard.png"), FullPage = true });
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_team_page_shows_its_scorecards_and_its_dora_figures_with_a_trend_per_metric()
    {
        var (context, page, errors) = await portal.SignInAsync("alice");
        await using var _ = context;
        await page.GotoAsync(new Uri(portal.WebBase, "/insights/scorecards/default/production-readiness").ToString());
        await page.GetByTestId("scorecard-team-payments-team").GetByTestId("team-link").ClickAsync();

        await page.GetByTestId("team-page").WaitForAsync(Visible);
        Assert.Equal("/insights/teams/default/payments-team", new Uri(page.Url).AbsolutePath);
        await page.GetByTestId("team-scorecard-production-readiness").WaitForAsync(Visible);
        await page.GetByTestId("team-scorecard-catalog-hygiene").WaitForAsync(Visible);

        await page.GetByTestId("dora-figures").WaitForAsync(Visible);
        foreach (var metric in new[] { "frequency", "lead-time", "change-fail-rate", "recovery-time", "rework-rate" })
        {
            await page.GetByTestId($"dora-trend-{metric}").WaitForAsync(Visible);
            Assert.False(string.IsNullOrWhiteSpace(await page.GetByTestId($"dora-value-{metric}").InnerTextAsync()));
        }

        // The demo's payments team may have no production deployments yet: then the page says so instead of charting zeros.
        var dora = await GetJsonAsync("alice", "/api/insights/dora/teams/default/payments-team?days=30");
        if (dora.GetProperty("figures").GetProperty("deployments").GetInt32() == 0)
        {
            await page.GetByTestId("dora-empty").WaitForAsync(Visible);
            Assert.Equal("0 per day", await page.GetByTestId("dora-value-frequency").InnerTextAsync());
            Assert.Equal("—", await page.GetByTestId("dora-value-lead-time").InnerTextAsync());
        }
        else
        {
            await page.GetByTestId("dora-components").WaitForAsync(Visible);
        }

        var seven = await page.RunAndWaitForResponseAsync(
            () => page.GetByTestId("dora-days-7").ClickAsync(),
            r => r.Url.Contains("/api/insights/dora/teams/default/payments-team", StringComparison.Ordinal) && r.Url.Contains("days=7", StringComparison.Ordinal));
        Assert.Equal(200, seven.Status);
        await Expect(page.GetByTestId("dora-days-7")).ToHaveAttributeAsync("aria-pressed", "true");
        await page.GetByTestId("dora-figures").WaitForAsync(Visible);
        Assert.Contains("days=7", page.Url, StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "insights-team.png"), FullPage = true });

        // The organisation's DORA is the same section over every component.
        await page.GetByTestId("insights-nav-dora").ClickAsync();
        await page.GetByTestId("organisation-dora-page").WaitForAsync(Visible);
        await page.GetByTestId("dora-figures").WaitForAsync(Visible);
        await page.GetByTestId("dora-trend-lead-time").WaitForAsync(Visible);
        Assert.Equal("true", await page.GetByTestId("dora-days-30").GetAttributeAsync("aria-pressed"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Ownership_health_lists_the_issues_and_exports_them_as_csv_with_the_session()
    {
        var report = await GetJsonAsync("viewer", "/api/insights/ownership");
        var total = report.GetProperty("total").GetInt32();

        var (context, page, errors) = await portal.SignInAsync("viewer");
        await using var _ = context;
        await page.GotoAsync(new Uri(portal.WebBase, "/insights/ownership").ToString());
        await Expect(page.GetByTestId("ownership-total")).ToHaveTextAsync(new Regex($"^{total} issue"), TextSoon);
        await page.GetByTestId("ownership-problems").WaitForAsync(Visible);
        if (total > 0)
        {
            var first = report.GetProperty("items")[0];
            await page.GetByTestId($"ownership-row-{first.GetProperty("entity").GetString()}").First.WaitForAsync(Visible);

            // A problem chip narrows the list to its count.
            var problem = first.GetProperty("problem").GetString()!;
            var problemCount = report.GetProperty("counts").GetProperty(problem).GetInt32();
            await page.GetByTestId($"ownership-problem-{problem}").ClickAsync();
            await Expect(page.GetByTestId("ownership-total")).ToHaveTextAsync(new Regex($"^{problemCount} issue"), TextSoon);
            Assert.Contains($"problem={problem}", page.Url, StringComparison.Ordinal);
        }
        else
        {
            await page.GetByTestId("ownership-empty").WaitForAsync(Visible);
        }

        IResponse? csv = null;
        var download = await page.RunAndWaitForDownloadAsync(async () =>
        {
            csv = await page.RunAndWaitForResponseAsync(
                () => page.GetByTestId("ownership-export").ClickAsync(),
                r => r.Url.Contains("/api/insights/ownership", StringComparison.Ordinal) && r.Url.Contains("format=csv", StringComparison.Ordinal));
        });
        Assert.NotNull(csv);
        Assert.Equal(200, csv!.Status);
        Assert.StartsWith("text/csv", csv.Headers["content-type"], StringComparison.Ordinal);
        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
        var path = await download.PathAsync();
        var text = await File.ReadAllTextAsync(path);
        Assert.StartsWith("problem,entity,kind,title,owner,detail", text, StringComparison.Ordinal);
        await page.GetByTestId("ownership-export-done").WaitForAsync(Visible);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "insights-ownership.png"), FullPage = true });
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_entity_page_shows_each_scorecards_level_and_rule_details()
    {
        var (context, page, errors) = await portal.SignInAsync("alice");
        await using var _ = context;
        await page.GotoAsync(new Uri(portal.WebBase, "/catalog/default/component/payments-service").ToString());
        await page.GetByTestId("tab-scorecards").ClickAsync();
        var panel = page.GetByTestId("entity-scorecard-scorecard:default/production-readiness");
        await panel.WaitForAsync(Visible);
        await page.GetByTestId("entity-scorecard-scorecard:default/catalog-hygiene").WaitForAsync(Visible);
        Assert.Contains("tab=scorecards", page.Url, StringComparison.Ordinal);

        var expected = (await GetJsonAsync("alice", "/api/insights/entities/component/default/payments-service/scorecards"))
            .EnumerateArray().First(c => c.GetProperty("scorecard").GetString() == "scorecard:default/production-readiness").GetProperty("result");
        var level = expected.GetProperty("level").ValueKind == JsonValueKind.String ? expected.GetProperty("level").GetString()! : "none yet";
        Assert.Equal(level, await panel.GetByTestId("entity-scorecard-level").InnerTextAsync());
        Assert.Equal(8, await panel.Locator("[data-testid^='entity-rule-']").And(page.Locator("li")).CountAsync());
        await panel.GetByTestId("entity-rule-owned").WaitForAsync(Visible);
        Assert.Equal("true", await panel.GetByTestId("entity-rule-owned").GetAttributeAsync("data-passed"));
        var withDetail = expected.GetProperty("outcomes").EnumerateArray().Count(o => o.GetProperty("detail").ValueKind == JsonValueKind.String);
        Assert.Equal(withDetail, await panel.GetByTestId("entity-rule-detail").CountAsync());
        await panel.GetByTestId("entity-scorecard-history").WaitForAsync(Visible);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "entity-scorecards.png"), FullPage = true });
        Assert.Empty(errors);
    }
}
