using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Git;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Deployments;

/// <summary>The HTTP functions, signed in through the local dev issuer, with the shapes the browser app reads.</summary>
[Collection(AzuriteReleasesCollection.Name)]
public class DeploymentsApiTests(AzuriteFixture azurite)
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    private static async Task<JsonElement> WaitStatusAsync(HttpClient http, string id, string status) =>
        await Eventually.ValueAsync(async () =>
        {
            var body = await JsonAsync(await http.GetAsync($"/api/deployments/{id}"));
            return body.GetProperty("status").GetString() == status ? (JsonElement?)body : null;
        }, TimeSpan.FromSeconds(60), $"{id} to be {status}") ?? default;

    [Fact]
    public async Task Trigger_list_read_rollback_and_promote_answer_the_shapes_the_browser_app_uses()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = $"api-{Guid.NewGuid().ToString("N")[..6]}";
        h.Components.Add(name, "dev,prod");
        var http = await h.SignInAsync("jane");

        using var trigger = await http.PostAsJsonAsync("/api/deployments", new { component = name, environment = "dev", version = "1.0.0" });
        var accepted = await JsonAsync(trigger);
        var id = accepted.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        Assert.Equal($"/api/deployments/{id}", trigger.Headers.Location!.OriginalString);
        Assert.EndsWith($"/api/deployments/{id}", accepted.GetProperty("statusQueryGetUri").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("http", accepted.GetProperty("statusQueryGetUri").GetString(), StringComparison.Ordinal);
        var first = await WaitStatusAsync(http, id, DeploymentStatuses.Succeeded);
        Assert.Equal($"component:default/{name}", first.GetProperty("component").GetString());
        Assert.Equal("rolling", first.GetProperty("strategy").GetProperty("type").GetString());
        Assert.Equal("user:default/jane", first.GetProperty("requestedBy").GetString());
        Assert.True(first.GetProperty("steps").GetArrayLength() >= 3);
        Assert.True(first.GetProperty("steps")[0].TryGetProperty("startedAt", out _));

        var second = (await JsonAsync(await http.PostAsJsonAsync("/api/deployments", new { component = name, environment = "dev", version = "1.1.0" }))).GetProperty("id").GetString()!;
        await WaitStatusAsync(http, second, DeploymentStatuses.Succeeded);
        var page = await JsonAsync(await http.GetAsync($"/api/deployments?component={name}&environment=dev&limit=1"));
        Assert.Equal(second, page.GetProperty("items")[0].GetProperty("id").GetString());
        var cursor = page.GetProperty("pageInfo").GetProperty("nextCursor").GetString();
        var next = await JsonAsync(await http.GetAsync($"/api/deployments?component={name}&environment=dev&limit=1&cursor={Uri.EscapeDataString(cursor!)}"));
        Assert.Equal(id, next.GetProperty("items")[0].GetProperty("id").GetString());

        using var rollback = await http.PostAsJsonAsync($"/api/deployments/{second}/rollback", new { toVersion = "1.0.0" });
        Assert.Equal(HttpStatusCode.Accepted, rollback.StatusCode);
        var back = await WaitStatusAsync(http, (await JsonAsync(rollback)).GetProperty("id").GetString()!, DeploymentStatuses.Succeeded);
        Assert.Equal(("1.0.0", "1.1.0"), (back.GetProperty("version").GetString(), back.GetProperty("previousVersion").GetString()));
        using var neverRan = await http.PostAsJsonAsync($"/api/deployments/{second}/rollback", new { toVersion = "0.9.0" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, neverRan.StatusCode);

        using var promote = await http.PostAsJsonAsync($"/api/components/default/{name}/promote", new { from = "dev", to = "prod" });
        Assert.Equal(HttpStatusCode.Accepted, promote.StatusCode);
        var promoted = await WaitStatusAsync(http, (await JsonAsync(promote)).GetProperty("id").GetString()!, DeploymentStatuses.Succeeded);
        Assert.Equal(("prod", "1.0.0"), (promoted.GetProperty("environment").GetString(), promoted.GetProperty("version").GetString()));
        using var backwards = await http.PostAsJsonAsync($"/api/components/default/{name}/promote", new { from = "prod", to = "dev" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, backwards.StatusCode);

        var envs = await JsonAsync(await http.GetAsync($"/api/components/default/{name}/environments"));
        Assert.Equal(["dev", "prod"], envs.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        Assert.Equal("1.0.0", envs[1].GetProperty("current").GetProperty("version").GetString());
        Assert.Equal("local-east", envs[0].GetProperty("clusters")[0].GetProperty("name").GetString());
        Assert.False(envs[1].GetProperty("protected").GetBoolean());

        var workloads = await JsonAsync(await http.GetAsync($"/api/components/default/{name}/workloads"));
        Assert.Contains(workloads.EnumerateArray(), w => w.GetProperty("environment").GetString() == "prod" && w.GetProperty("version").GetString() == "1.0.0" && w.GetProperty("replicas").GetProperty("desired").GetInt32() == 2);
        var dora = await JsonAsync(await http.GetAsync($"/api/components/default/{name}/dora"));
        Assert.Equal(4, dora.GetProperty("succeeded").GetInt32());
        Assert.Equal(0, dora.GetProperty("changeFailureRate").GetDouble());
        var repo = new RepoRef("deployments", $"{name}-deploy");
        Assert.Equal("1.0.0", (await h.DesiredAsync(repo, "prod"))!.ServingVersion);
    }

    [Fact]
    public async Task Mistakes_are_problem_details_naming_the_field_never_500()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = $"err-{Guid.NewGuid().ToString("N")[..6]}";
        h.Components.Add(name, "dev");
        h.Components.Add($"{name}-broken", "- {name: dev, strategy: {type: canary, steps: [{setWeight: 300}]}}");
        var http = await h.SignInAsync("jane");

        using var noComponent = await http.PostAsJsonAsync("/api/deployments", new { environment = "dev", version = "1" });
        using var badVersion = await http.PostAsJsonAsync("/api/deployments", new { component = name, environment = "dev", version = "no spaces" });
        using var broken = await http.PostAsJsonAsync("/api/deployments", new { component = $"{name}-broken", environment = "dev", version = "1" });
        using var unknown = await http.GetAsync("/api/deployments/dep-nope");
        using var badAction = await http.PostAsJsonAsync("/api/deployments/dep-nope/explode", new { });
        using var badLimit = await http.GetAsync("/api/deployments?limit=0");
        using var anonymous = await h.Http.PostAsJsonAsync("/api/deployments", new { component = name, environment = "dev", version = "1" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, noComponent.StatusCode);
        Assert.True((await JsonAsync(noComponent)).GetProperty("errors").TryGetProperty("component", out _));
        Assert.True((await JsonAsync(badVersion)).GetProperty("errors").TryGetProperty("version", out _));
        Assert.True((await JsonAsync(broken)).GetProperty("errors").TryGetProperty("metadata.annotations[idp.dev/environments][0].strategy.steps[0].setWeight", out _));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badAction.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badLimit.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Clusters_list_and_fault_injection_work_in_local_mode()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var http = await h.SignInAsync("jane");

        var clusters = await JsonAsync(await http.GetAsync("/api/clusters"));
        using var fault = await http.PostAsJsonAsync("/api/clusters/local-west/faults", new { version = "9.9.9", errorRate = 0.5 });
        using var invalid = await http.PostAsJsonAsync("/api/clusters/local-west/faults", new { version = "9.9.9", errorRate = 2 });
        using var nowhere = await http.PostAsJsonAsync("/api/clusters/mars/faults", new { version = "1", unhealthy = true });
        using var cleared = await http.DeleteAsync("/api/clusters/local-west/faults");

        Assert.Equal(["local-east", "local-west"], clusters.EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(("simulated", "Healthy", "westus"), (clusters[1].GetProperty("provider").GetString(), clusters[1].GetProperty("status").GetString(), clusters[1].GetProperty("region").GetString()));
        Assert.True(clusters[0].GetProperty("cpu").GetProperty("capacity").GetDouble() > 0);
        Assert.Equal(HttpStatusCode.OK, fault.StatusCode);
        Assert.Equal(0.5, (await JsonAsync(fault))[0].GetProperty("errorRate").GetDouble());
        Assert.True((await JsonAsync(invalid)).GetProperty("errors").TryGetProperty("errorRate", out _));
        Assert.Equal(HttpStatusCode.NotFound, nowhere.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        Assert.Empty(h.Fleet.Get("local-west").Faults());
    }
}
