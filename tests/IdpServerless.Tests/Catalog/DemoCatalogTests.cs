using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Catalog;

/// <summary>
/// The demo organisation: plain catalog-info.yaml files that load without a problem in local mode, that
/// scripts/load-demo.sh waits for, and that identity reads through the catalog directory (users, transitive groups).
/// </summary>
[Collection("azurite")]
public class DemoCatalogTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task The_demo_catalog_loads_at_start_in_local_mode_and_its_users_have_their_transitive_groups()
    {
        await using var app = await CatalogTestApp.StartAsync(azurite, new Dictionary<string, string>
        {
            ["IDP_DEMO_DIR"] = Path.Combine(RepoPaths.Root, "demo"),
        });

        var script = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "scripts", "load-demo.sh")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        script.ArgumentList.Add(app.App.BaseAddress.ToString().TrimEnd('/'));
        script.Environment["IDP_DEMO_TIMEOUT"] = "120";
        using (var run = Process.Start(script)!)
        {
            var output = await run.StandardOutput.ReadToEndAsync() + await run.StandardError.ReadToEndAsync();
            await run.WaitForExitAsync();
            Assert.True(run.ExitCode == 0, output);
            Assert.Contains("demo catalog loaded", output, StringComparison.Ordinal);
        }

        var locations = JsonNode.Parse(await app.Http.GetStringAsync("/api/catalog/locations"))!.AsArray();
        var id = Assert.Single(locations)!["data"]!["id"]!.GetValue<string>();
        var status = await app.GetJsonAsync($"/api/catalog/locations/{id}/status");
        Assert.Equal("ok", status["status"]!.GetValue<string>());
        Assert.Empty(status["errors"]!.AsArray());

        var kinds = (await app.GetJsonAsync("/api/catalog/entity-facets?facet=kind"))["facets"]!["kind"]!.AsArray()
            .ToDictionary(k => k!["value"]!.GetValue<string>(), k => k!["count"]!.GetValue<int>());
        foreach (var kind in new[] { "Component", "API", "System", "Domain", "Resource", "Group", "User", "Template", "Location" })
        {
            Assert.True(kinds.ContainsKey(kind), $"the demo has no {kind}");
        }

        Assert.Equal(2, kinds["Domain"]);
        Assert.Equal(3, kinds["System"]);
        Assert.Equal(8, kinds["Component"]);
        Assert.Equal(2, kinds["Scorecard"]);
        var scorecards = JsonNode.Parse(await app.Http.GetStringAsync("/api/insights/scorecards"))!.AsArray();
        Assert.Equal(["Catalog hygiene", "Production readiness"], scorecards.Select(c => c!["title"]!.GetValue<string>()));
        Assert.All(scorecards, c => Assert.True(c!["summary"]!["entities"]!.GetValue<int>() > 0));
        var payments = (await app.EntityAsync("api", "payments-api"))!;
        Assert.Contains("/payments/{id}/refunds", payments["spec"]!["definition"]!.GetValue<string>(), StringComparison.Ordinal);

        var alice = await MeAsync(app, "user:default/alice");
        var groups = alice["groups"]!.AsArray().Select(g => g!.GetValue<string>()).ToList();
        Assert.Contains("group:default/payments-team", groups);
        Assert.Contains("group:default/commerce", groups);
        Assert.Contains("group:default/engineering", groups);
        Assert.Equal("alice@example.com", alice["email"]!.GetValue<string>());
        var viewer = await MeAsync(app, "user:default/viewer");
        Assert.Empty(viewer["groups"]!.AsArray());
    }

    private static async Task<JsonObject> MeAsync(CatalogTestApp app, string user)
    {
        using var issued = await app.Http.PostAsJsonAsync("/api/auth/dev-token", new { user });
        var token = JsonNode.Parse(await issued.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await app.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!.AsObject();
    }
}
