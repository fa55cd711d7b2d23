using System.Globalization;
using System.Text.Json;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Playwright;

namespace IdpServerless.Tests.Browser;

/// <summary>
/// A judged canary (issue #19) in a real browser against the real app whose metrics provider is a real Prometheus: the
/// baseline and canary tracks' series are scraped from an instrumented endpoint the test controls, the app's judgement
/// range-queries them, and the deployment page shows the score, the outcome and every metric's verdict as the API
/// records them.
/// </summary>
[Collection("portal-prometheus")]
public class DeliveryJudgementTests(PrometheusPortalFixture portal)
{
    private static readonly LocatorWaitForOptions Visible = new() { State = WaitForSelectorState.Visible, Timeout = 30_000 };

    /// <summary>Errors weigh three times latency: a canary worse only in errors scores 25, under the marginal mark.</summary>
    private const string JudgedComponent = """
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: delivery-judged
          title: Delivery Judged
          description: A canary judged against its baseline on Prometheus (browser test)
          annotations:
            idp.dev/environments: |
              - name: prod
                replicas: 4
                strategy:
                  type: canary
                  steps:
                    - setWeight: 20
                    - judgement:
                        interval: 1s
                        lifetime: 12s
                        scoreThresholds: {pass: 75, marginal: 50}
                        metrics:
                          - {name: error-rate, weight: 3}
                          - {name: latency-p99, weight: 1}
                    - setWeight: 50
        spec:
          type: service
          lifecycle: production
          owner: storefront-team
          system: storefront
        """;

    private static readonly Dictionary<string, string> OutcomeText = new(StringComparer.Ordinal)
    {
        ["pass"] = "at or above the pass mark: the release goes on",
        ["marginal"] = "between the marginal and pass marks: waiting for a human to promote or abort",
        ["nodata"] = "no metric had data: waiting for a human to promote or abort",
        ["fail"] = "below the marginal mark: rolled back",
    };

    [Fact]
    public async Task A_canary_with_more_errors_than_its_baseline_shows_its_score_outcome_and_verdicts_on_the_deployment_page()
    {
        const string Name = "delivery-judged";
        await portal.RegisterCatalogFileAsync("delivery-judged.yaml", JudgedComponent, $"component/default/{Name}");
        // The app's namespace is the component's name; the canary fails ten times as many requests as the baseline.
        portal.Metrics.Set(Name, Name, "1.0.0", rps: 100, errorRate: 0.0005, latencySeconds: 0.05, track: Tracks.Stable);
        portal.Metrics.Set(Name, Name, "1.0.0", rps: 100, errorRate: 0.0005, latencySeconds: 0.05, track: Tracks.Baseline);
        portal.Metrics.Set(Name, Name, "2.0.0", rps: 100, errorRate: 0.005, latencySeconds: 0.05, track: Tracks.Canary);
        foreach (var track in new[] { Tracks.Canary, Tracks.Baseline })
        {
            await Eventually.ValueAsync(async () => await portal.QueryPrometheusAsync($"sum(rate(http_requests_total{{app=\"{Name}\",track=\"{track}\"}}[5s]))") is { } rate ? (object)rate : null,
                TimeSpan.FromSeconds(30), $"Prometheus to rate the {track}'s traffic");
        }

        var admin = await portal.TokenAsync("user:default/admin");
        var first = await portal.StartDeploymentAsync(admin, Name, "prod", "1.0.0");   // a first canary goes out rolling
        await portal.WaitForDeploymentAsync(admin, first, d => d.GetProperty("status").GetString() == "Succeeded", "1.0.0 to reach prod");
        var id = await portal.StartDeploymentAsync(admin, Name, "prod", "2.0.0");

        var (context, page, errors) = await portal.SignInAsync("carol");
        await using var _ = context;
        await page.GotoAsync(new Uri(portal.WebBase, $"/deployments/{id}").ToString());
        await page.GetByTestId("canary-panel").WaitForAsync(Visible);
        var status = page.GetByTestId("deployment-status");
        await Eventually.TrueAsync(async () => (await status.InnerTextAsync()).Contains("Rolled Back", StringComparison.Ordinal),
            TimeSpan.FromSeconds(120), "the page to show the judged canary rolled back");

        var deployment = await portal.GetJsonAsync(admin, $"/api/deployments/{id}");
        Assert.Equal("RolledBack", deployment.GetProperty("status").GetString());
        Assert.Contains("judgement score 25 (pass 75, marginal 50): error-rate high", deployment.GetProperty("message").GetString(), StringComparison.Ordinal);
        var j = deployment.GetProperty("release").GetProperty("judgement");
        Assert.Equal((25d, "fail"), (j.GetProperty("score").GetDouble(), j.GetProperty("outcome").GetString()));

        var panel = page.GetByTestId("judgement-panel");
        await panel.WaitForAsync(Visible);
        Assert.Equal($"score {Plain(j.GetProperty("score").GetDouble())}", await panel.GetByTestId("judgement-score").InnerTextAsync());
        Assert.Equal(OutcomeText[j.GetProperty("outcome").GetString()!], await panel.GetByTestId("judgement-outcome").InnerTextAsync());
        Assert.Contains($"pass {Plain(j.GetProperty("pass").GetDouble())} · marginal {Plain(j.GetProperty("marginal").GetDouble())}",
            await panel.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("25", await panel.Locator("meter").GetAttributeAsync("value"));

        var table = panel.GetByTestId("judgement-metrics");
        var metrics = j.GetProperty("metrics").EnumerateArray().ToList();
        Assert.Equal(["error-rate", "latency-p99"], metrics.Select(m => m.GetProperty("metric").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(metrics.Count, await table.Locator("tbody tr").CountAsync());
        foreach (var m in metrics)
        {
            var metric = m.GetProperty("metric").GetString()!;
            var cells = await table.GetByTestId($"verdict-{metric}").Locator("td").AllInnerTextsAsync();
            Assert.StartsWith(metric, cells[0], StringComparison.Ordinal);
            Assert.Contains($"weight {Plain(m.GetProperty("weight").GetDouble())}", cells[0], StringComparison.Ordinal);
            Assert.Equal(m.GetProperty("verdict").GetString(), cells[1].Trim());
            Assert.Equal($"{m.GetProperty("canarySamples").GetInt32()} / {m.GetProperty("baselineSamples").GetInt32()}", cells[5].Trim());
        }

        // What the judgement found, as the page says it: errors significantly higher on the canary, latency alike.
        var errorsRow = await table.GetByTestId("verdict-error-rate").Locator("td").AllInnerTextsAsync();
        Assert.Equal(("high", "canary is significantly higher than baseline"), (errorsRow[1].Trim(), errorsRow[6].Trim()));
        var errorsApi = metrics.Single(m => m.GetProperty("metric").GetString() == "error-rate");
        Assert.True(errorsApi.GetProperty("pValue").GetDouble() < 0.05, $"p = {errorsApi.GetProperty("pValue")}");
        Assert.False(errorsApi.GetProperty("passed").GetBoolean());
        var latencyRow = await table.GetByTestId("verdict-latency-p99").Locator("td").AllInnerTextsAsync();
        Assert.Equal(("pass", "canary and baseline are not told apart"), (latencyRow[1].Trim(), latencyRow[6].Trim()));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "delivery-judgement.png"), FullPage = true });
        Assert.Empty(errors);
    }

    /// <summary>A score, mark or weight as the panel writes it: whole numbers as such, else one decimal.</summary>
    private static string Plain(double v) =>
        v == Math.Floor(v) ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.0", CultureInfo.InvariantCulture);
}
