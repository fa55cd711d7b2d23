using Microsoft.Playwright;

namespace IdpServerless.Tests.Browser;

/// <summary>The portal in a real browser against the real function app with demo data.</summary>
[Collection("portal")]
public class PortalTests(PortalFixture portal)
{
    private static readonly LocatorWaitForOptions Visible = new() { State = WaitForSelectorState.Visible, Timeout = 30_000 };

    [Fact]
    public async Task An_owner_signs_in_searches_the_catalog_and_opens_an_entity()
    {
        var (context, page, errors) = await portal.SignInAsync("alice");
        await using var _ = context;
        await page.GetByTestId("nav-catalog").ClickAsync();
        await page.GetByTestId("search-input").FillAsync("paymnts");   // one typo: search tolerates it
        var row = page.GetByTestId("entity-row-payments-service");
        await row.WaitForAsync(Visible);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "catalog-search.png"), FullPage = true });

        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        var title = page.GetByTestId("entity-title");
        await title.WaitForAsync(Visible);
        Assert.Contains("Payments Service", await title.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("payments-team", await page.GetByTestId("entity-owner").InnerTextAsync(), StringComparison.Ordinal);
        await page.GetByTestId("relations-graph").WaitForAsync(Visible);
        Assert.True(await page.GetByTestId("graph-node-group:default/payments-team").CountAsync() > 0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "entity-page.png"), FullPage = true });
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_catalog_facets_narrow_the_results()
    {
        var (context, page, errors) = await portal.SignInAsync("viewer");
        await using var _ = context;
        await page.GotoAsync(new Uri(portal.WebBase, "/catalog").ToString());
        var apiFacet = page.GetByTestId("facet-kind-API");
        await apiFacet.WaitForAsync(Visible);
        await apiFacet.ClickAsync();
        await page.GetByTestId("entity-row-payments-api").WaitForAsync(Visible);
        Assert.Equal(0, await page.GetByTestId("entity-row-payments-service").CountAsync());
        Assert.Contains("kind=", page.Url, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(errors);
    }
}
