using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Playwright;

namespace IdpServerless.Tests.Browser;

/// <summary>
/// Progressive delivery (issue #19) in a real browser against the real app: a release wave by wave across both
/// simulated clusters and a dev → staging → prod promotion pipeline. Each test registers its own component (a file
/// location under the app's data folder, as a user would register one), so the demo catalog other tests count stays
/// as it is. Everything the page shows is compared with what the API answers for the same deployment or component.
/// </summary>
[Collection("portal")]
public partial class DeliveryTests(PortalFixture portal)
{
    private static readonly LocatorWaitForOptions Visible = new() { State = WaitForSelectorState.Visible, Timeout = 30_000 };

    /// <summary>Two waves of a rolling release, one cluster each, with a pause between them so the page can be seen mid-release.</summary>
    private const string WavesComponent = """
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: delivery-waves
          title: Delivery Waves
          description: Released wave by wave, first local-east, then local-west (browser test)
          annotations:
            idp.dev/environments: |
              - name: prod
                clusters: [local-east, local-west]
                pauseBetweenWaves: true
                waves:
                  - {name: first, clusters: [local-east]}
                  - {name: rest, clusters: [local-west]}
        spec:
          type: service
          lifecycle: production
          owner: storefront-team
          system: storefront
        """;

    [Fact]
    public async Task A_release_in_two_waves_shows_each_clusters_wave_and_state_between_the_waves_and_after_them()
    {
        await portal.RegisterCatalogFileAsync("delivery-waves.yaml", WavesComponent, "component/default/delivery-waves");
        var admin = await portal.TokenAsync("user:default/admin");

        // The first release also goes wave by wave and pauses between them: resume it through the API.
        var first = await portal.StartDeploymentAsync(admin, "delivery-waves", "prod", "1.0.0");
        await portal.WaitForDeploymentAsync(admin, first, d => d.GetProperty("status").GetString() == "Paused", "the first release to pause between its waves");
        using (var resumed = await portal.Send(HttpMethod.Post, $"/api/deployments/{first}/resume", admin))
        {
            Assert.True(resumed.IsSuccessStatusCode, $"resume: {(int)resumed.StatusCode}");
        }

        await portal.WaitForDeploymentAsync(admin, first, d => d.GetProperty("status").GetString() == "Succeeded", "the first release to finish");

        var id = await portal.StartDeploymentAsync(admin, "delivery-waves", "prod", "2.0.0");
        var between = await portal.WaitForDeploymentAsync(admin, id, d => d.GetProperty("status").GetString() == "Paused", "the release to pause between its waves");
        var (context, page, errors) = await portal.SignInAsync("carol");
        await using var _ = context;
        await page.GotoAsync(new Uri(portal.WebBase, $"/deployments/{id}").ToString());
        var panel = page.GetByTestId("wave-clusters");
        await panel.WaitForAsync(Visible);

        // Between the waves: the first wave's cluster runs 2.0.0, the other still runs 1.0.0 and waits.
        var apiBetween = Clusters(between);
        Assert.Equal(
            [("local-east", "first", 1, "Succeeded", "2.0.0"), ("local-west", "rest", 2, "Waiting", "1.0.0")],
            apiBetween.Select(c => (c.Cluster, c.Wave, c.WaveIndex, c.State, c.Version)));
        await AssertWavePanelAsync(panel, apiBetween);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "delivery-waves-between.png"), FullPage = true });

        // Resume from the page starts the second wave; the page follows the release to its end.
        var resume = page.GetByTestId("resume-button");
        await resume.WaitForAsync(Visible);
        await Eventually.TrueAsync(async () => await resume.IsEnabledAsync(), TimeSpan.FromSeconds(30), "resume to be allowed for the owner");
        await resume.ClickAsync();
        await page.GetByTestId("action-notice").WaitForAsync(Visible);
        var status = page.GetByTestId("deployment-status");
        await Eventually.TrueAsync(async () => (await status.InnerTextAsync()).Contains("Succeeded", StringComparison.Ordinal),
            TimeSpan.FromSeconds(120), "the release to finish its second wave");

        var done = Clusters(await portal.GetJsonAsync(admin, $"/api/deployments/{id}"));
        Assert.Equal(
            [("local-east", "first", 1, "Succeeded", "2.0.0"), ("local-west", "rest", 2, "Succeeded", "2.0.0")],
            done.Select(c => (c.Cluster, c.Wave, c.WaveIndex, c.State, c.Version)));
        await Eventually.TrueAsync(async () => (await panel.GetByTestId("cluster-local-west").InnerTextAsync()).Contains("Succeeded", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the page to show local-west succeeded");
        await AssertWavePanelAsync(panel, done);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "delivery-waves-done.png"), FullPage = true });
        Assert.Empty(errors);
    }

    /// <summary>Every cluster the API lists is in its wave's block of the panel, with its state and version, and no other.</summary>
    private static async Task AssertWavePanelAsync(ILocator panel, IReadOnlyList<WaveCluster> clusters)
    {
        foreach (var wave in clusters.GroupBy(c => (c.Wave, c.WaveIndex)))
        {
            var block = panel.GetByTestId($"wave-{wave.Key.Wave}");
            Assert.Equal($"Wave {wave.Key.WaveIndex}: {wave.Key.Wave}", await block.Locator("h3").InnerTextAsync());
            Assert.Equal(wave.Count(), await block.Locator("tbody tr").CountAsync());
            foreach (var c in wave)
            {
                var cells = await block.GetByTestId($"cluster-{c.Cluster}").Locator("th, td").AllInnerTextsAsync();
                Assert.Equal((c.Cluster, Spaced(c.State), c.Version), (cells[0].Trim(), cells[1].Trim(), cells[2].Trim()));
            }
        }

        Assert.Equal(clusters.Count, await panel.Locator("tbody tr").CountAsync());
    }

    /// <summary>A promotion pipeline whose staging needs one approval and whose prod is frozen from an hour ago for two days.</summary>
    private static string PipelineComponent(DateTimeOffset now) => $$"""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: delivery-pipeline
          title: Delivery Pipeline
          description: Promoted dev to staging to prod, with an approval and a freeze (browser test)
          annotations:
            idp.dev/environments: |
              - name: dev
              - name: staging
                promotion: {auto: true, soak: 1s}
                approvals: {required: 1}
              - name: prod
                promotion: {auto: true, soak: 1s}
                freeze:
                  - {from: "{{Iso(now.AddHours(-1))}}", to: "{{Iso(now.AddDays(2))}}", reason: browser-test freeze}
        spec:
          type: service
          lifecycle: production
          owner: storefront-team
          system: storefront
        """;

    [Fact]
    public async Task The_pipeline_view_shows_a_version_waiting_for_approval_in_staging_and_then_for_the_freeze_of_prod()
    {
        await portal.RegisterCatalogFileAsync("delivery-pipeline.yaml", PipelineComponent(DateTimeOffset.UtcNow), "component/default/delivery-pipeline");
        var admin = await portal.TokenAsync("user:default/admin");
        const string PipelinePath = "/api/components/default/delivery-pipeline/pipeline";
        var dev = await portal.StartDeploymentAsync(admin, "delivery-pipeline", "dev", "1.0.0");
        await portal.WaitForDeploymentAsync(admin, dev, d => d.GetProperty("status").GetString() == "Succeeded", "1.0.0 to reach dev");

        // Auto-promoted to staging after its soak in dev, where the deployment waits for one approval. The reason is
        // worked out from the policy until the deployment has written its own message; wait for that, the lasting one.
        var staging = await PipelineStageWhenAsync(admin, PipelinePath, "staging", s => WaitingState(s) == "AwaitingApproval", "1.0.0 to wait for approval in staging");
        var waitingId = staging.GetProperty("waiting").GetProperty("deploymentId").GetString()!;
        var approvalMessage = (await portal.WaitForDeploymentAsync(admin, waitingId,
            d => d.GetProperty("status").GetString() == "WaitingForApproval" && d.GetProperty("message").ValueKind == JsonValueKind.String,
            "the staging deployment to say what it waits for")).GetProperty("message").GetString();
        staging = Stage(await portal.GetJsonAsync(admin, PipelinePath), "staging");
        Assert.Equal(approvalMessage, staging.GetProperty("waiting").GetProperty("reason").GetString());
        Assert.Contains("needs 1 more approval", approvalMessage, StringComparison.Ordinal);
        var (context, page, errors) = await portal.SignInAsync("carol");
        await using var _ = context;
        var entityPage = new Uri(portal.WebBase, "/catalog/default/component/delivery-pipeline?tab=deployments").ToString();
        await page.GotoAsync(entityPage);
        var view = page.GetByTestId("pipeline-view");
        await view.WaitForAsync(Visible);
        Assert.Equal(["dev", "staging", "prod"], await view.Locator("[data-testid^='pipeline-stage-']").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.testid.slice('pipeline-stage-'.length))"));
        Assert.Equal("1.0.0", await view.GetByTestId("pipeline-stage-dev").GetByTestId("stage-version").InnerTextAsync());
        await AssertWaitingAsync(view.GetByTestId("pipeline-stage-staging"), staging);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "delivery-pipeline-approval.png"), FullPage = true });

        // Carol (an owner, not the requester) approves from the view; 1.0.0 reaches staging and then waits for prod's freeze.
        var approve = view.GetByTestId("approve-stage-staging");
        await Eventually.TrueAsync(async () => await approve.IsEnabledAsync(), TimeSpan.FromSeconds(30), "approve to be allowed for the owner");
        await approve.ClickAsync();
        var prod = await PipelineStageWhenAsync(admin, PipelinePath, "prod", s => WaitingState(s) == "Frozen", "1.0.0 to wait for prod's freeze");
        var pipeline = await portal.GetJsonAsync(admin, PipelinePath);
        var stagingNow = Stage(pipeline, "staging");
        Assert.Equal(("1.0.0", JsonValueKind.Null), (stagingNow.GetProperty("currentVersion").GetString(), stagingNow.GetProperty("waiting").ValueKind));
        Assert.Contains("browser-test freeze", prod.GetProperty("waiting").GetProperty("reason").GetString(), StringComparison.Ordinal);

        await page.GotoAsync(entityPage);
        await view.WaitForAsync(Visible);
        var prodStage = view.GetByTestId("pipeline-stage-prod");
        await prodStage.GetByTestId("stage-waiting").WaitForAsync(Visible);
        Assert.Equal("1.0.0", await view.GetByTestId("pipeline-stage-staging").GetByTestId("stage-version").InnerTextAsync());
        Assert.Equal(0, await view.GetByTestId("pipeline-stage-staging").GetByTestId("stage-waiting").CountAsync());
        Assert.Equal("nothing yet", await prodStage.GetByTestId("stage-version").InnerTextAsync());
        await AssertWaitingAsync(prodStage, prod);
        await prodStage.GetByTestId("frozen-chip").WaitForAsync(Visible);
        var frozenNow = prod.GetProperty("frozenNow");
        Assert.Contains($"({frozenNow.GetProperty("reason").GetString()})", await prodStage.GetByTestId("frozen-until").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(
            DateTimeOffset.Parse(frozenNow.GetProperty("until").GetString()!, CultureInfo.InvariantCulture),
            DateTimeOffset.Parse((await prodStage.GetByTestId("frozen-until").Locator("time").GetAttributeAsync("datetime"))!, CultureInfo.InvariantCulture));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDir, "delivery-pipeline-frozen.png"), FullPage = true });
        Assert.Empty(errors);
    }

    /// <summary>The stage's waiting box says what the API's <c>waiting</c> says: the version, its state and the reason.</summary>
    private static async Task AssertWaitingAsync(ILocator stage, JsonElement apiStage)
    {
        var waiting = apiStage.GetProperty("waiting");
        var box = stage.GetByTestId("stage-waiting");
        await box.WaitForAsync(Visible);
        Assert.StartsWith($"{waiting.GetProperty("version").GetString()} waits", await box.Locator("p").First.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(Spaced(waiting.GetProperty("state").GetString()!), await box.GetByTestId("waiting-state").InnerTextAsync());
        Assert.StartsWith(waiting.GetProperty("reason").GetString()!, await box.GetByTestId("waiting-reason").InnerTextAsync(), StringComparison.Ordinal);
    }

    private async Task<JsonElement> PipelineStageWhenAsync(string token, string path, string stage, Func<JsonElement, bool> done, string what) =>
        (JsonElement)(await Eventually.ValueAsync(async () =>
        {
            var s = Stage(await portal.GetJsonAsync(token, path), stage);
            Assert.NotEqual("VerificationFailed", WaitingState(s));
            return done(s) ? (object)s : null;
        }, TimeSpan.FromSeconds(120), what, TimeSpan.FromMilliseconds(250)))!;

    private static JsonElement Stage(JsonElement pipeline, string name) =>
        pipeline.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    private static string? WaitingState(JsonElement stage) =>
        stage.GetProperty("waiting").ValueKind == JsonValueKind.Object ? stage.GetProperty("waiting").GetProperty("state").GetString() : null;

    private static IReadOnlyList<WaveCluster> Clusters(JsonElement deployment) =>
        [.. deployment.GetProperty("clusters").EnumerateArray().Select(c => new WaveCluster(
            c.GetProperty("cluster").GetString()!, c.GetProperty("wave").GetString()!, c.GetProperty("waveIndex").GetInt32(),
            c.GetProperty("state").GetString()!, c.GetProperty("version").GetString()))];

    /// <summary>A status as the page's badge writes it ("RolledBack" → "Rolled Back").</summary>
    private static string Spaced(string status) => CamelWords().Replace(status, "$1 $2");

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture);

    [GeneratedRegex("([a-z])([A-Z])")]
    private static partial Regex CamelWords();

    private sealed record WaveCluster(string Cluster, string Wave, int WaveIndex, string State, string? Version);
}
