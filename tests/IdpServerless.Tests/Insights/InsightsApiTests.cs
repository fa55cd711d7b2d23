using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IdpServerless.Tests.Catalog;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Insights;

/// <summary>The insights functions against the real app: scorecards from catalog files, team and organisation DORA, ownership health, RBAC, bad YAML.</summary>
[Collection(AzuriteCollection.Name)]
public class InsightsApiTests(AzuriteFixture azurite)
{
    private const string CatalogYaml = """
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata: {name: team-a}
        spec: {type: team, children: [team-a-web]}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata: {name: team-a-web}
        spec: {type: team, parent: team-a, children: []}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata: {name: team-b}
        spec: {type: team, children: []}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: User
        metadata: {name: alice}
        spec: {memberOf: [team-a]}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: User
        metadata: {name: bob}
        spec: {memberOf: [team-b]}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: User
        metadata: {name: carol}
        spec: {memberOf: []}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: cart
          annotations: {backstage.io/techdocs-ref: "dir:.", idp.dev/environments: "dev,prod"}
        spec: {type: service, lifecycle: production, owner: team-a, providesApis: [cart-api]}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata: {name: shop-web, annotations: {backstage.io/techdocs-ref: "dir:."}}
        spec: {type: website, lifecycle: production, owner: team-a-web}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata: {name: ledger}
        spec: {type: service, lifecycle: production, owner: ghosts}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: API
        metadata: {name: cart-api}
        spec: {type: openapi, lifecycle: production, owner: team-a, definition: "openapi: 3.0.0"}
        ---
        apiVersion: idpserverless.io/v1alpha1
        kind: Scorecard
        metadata: {name: basics, title: Service basics, description: Ownership and docs first}
        spec:
          filter: {kind: component}
          rules:
            - {id: owned, title: Has an owner that exists, type: ownerExists}
            - {id: docs, title: Has TechDocs, type: techDocs}
            - {id: api, title: Provides an API, type: relation, relation: providesApi, targetsExist: true}
            - {id: prod, title: Declares prod, type: environments, environment: prod}
          levels:
            - {name: Bronze, rules: [owned, docs]}
            - {name: Silver, rules: [api, prod]}
        """;

    private static async Task<HttpClient> SignInAsync(CatalogTestApp app, string user)
    {
        using var issued = await app.Http.PostAsJsonAsync("/api/auth/dev-token", new { user = $"user:default/{user}" });
        var token = JsonNode.Parse(await issued.Content.ReadAsStringAsync())?["access_token"]?.GetValue<string>() ?? throw new InvalidOperationException($"no token for {user}: {(int)issued.StatusCode}");
        var http = new HttpClient { BaseAddress = app.Http.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<JsonNode> OkAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<JsonNode> ProblemAsync(HttpClient http, string url, HttpStatusCode expected)
    {
        using var response = await http.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{url}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task Scorecards_dora_and_ownership_answer_each_caller_as_their_role_allows()
    {
        await using var app = await CatalogTestApp.StartAsync(azurite);
        await app.RegisterOkAsync(app.Write("org.yaml", CatalogYaml));
        using var alice = await SignInAsync(app, "alice");
        using var bob = await SignInAsync(app, "bob");
        using var carol = await SignInAsync(app, "carol");

        // Every signed-in user, a viewer included, sees every score.
        var list = (await OkAsync(carol, "/api/insights/scorecards")).AsArray();
        var basics = list.Single(c => c!["ref"]!.GetValue<string>() == "scorecard:default/basics")!;
        Assert.Equal("Service basics", basics["title"]!.GetValue<string>());
        Assert.Equal(3, basics["summary"]!["entities"]!.GetValue<int>());
        Assert.Equal([1, 1], basics["summary"]!["levels"]!.AsArray().Select(l => l!["entities"]!.GetValue<int>())); // shop-web Bronze, cart Silver
        Assert.Equal(1, basics["summary"]!["noLevel"]!.GetValue<int>());

        var detail = await OkAsync(carol, "/api/insights/scorecards/default/basics");
        var teams = detail["teams"]!.AsArray().ToDictionary(t => t!["team"]!.GetValue<string>(), t => t!["summary"]!["entities"]!.GetValue<int>());
        Assert.Equal(2, teams["group:default/team-a"]); // its own cart and its child team's shop-web
        Assert.Equal(1, teams["group:default/team-a-web"]);

        var failing = await OkAsync(carol, "/api/insights/scorecards/default/basics/entities?failing=owned");
        Assert.Equal(["component:default/ledger"], failing["items"]!.AsArray().Select(i => i!["entity"]!.GetValue<string>()));
        var bronze = await OkAsync(alice, "/api/insights/scorecards/default/basics/entities?team=team-a&level=bronze");
        Assert.Equal(["component:default/shop-web"], bronze["items"]!.AsArray().Select(i => i!["entity"]!.GetValue<string>()));
        Assert.Equal(1, bronze["total"]!.GetValue<int>());

        var cart = (await OkAsync(carol, "/api/insights/entities/component/default/cart/scorecards")).AsArray().Single()!;
        Assert.Equal("Silver", cart["result"]!["level"]!.GetValue<string>());
        Assert.Equal(100, cart["result"]!["score"]!.GetValue<double>());
        var teamCards = (await OkAsync(alice, "/api/insights/teams/default/team-a/scorecards")).AsArray();
        Assert.Equal(2, teamCards.Single()!["scorecard"]!["summary"]!["entities"]!.GetValue<int>());
        Assert.Empty((await OkAsync(alice, "/api/insights/scorecards/default/basics/history?scope=team-a&days=7"))["points"]!.AsArray());

        // DORA is delivery data: a team sees its own (and its parent's members see its children's), not another team's.
        var dora = await OkAsync(alice, "/api/insights/dora/teams/default/team-a?days=30");
        Assert.Equal(2, dora["components"]!.GetValue<int>());
        Assert.Equal(0, dora["figures"]!["deployments"]!.GetValue<int>());
        await OkAsync(alice, "/api/insights/dora/teams/default/team-a-web");
        var denied = await ProblemAsync(bob, "/api/insights/dora/teams/default/team-a", HttpStatusCode.Forbidden);
        Assert.Contains("metrics.read", denied["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await ProblemAsync(carol, "/api/insights/dora/teams/default/team-b", HttpStatusCode.Forbidden);
        await ProblemAsync(carol, "/api/insights/dora/organisation", HttpStatusCode.Forbidden);
        await OkAsync(bob, "/api/insights/dora/organisation?days=7");
        await OkAsync(app.Http, "/api/insights/dora/teams/default/team-b");

        var health = await OkAsync(carol, "/api/insights/ownership?problem=unknownOwner");
        Assert.Equal(["component:default/ledger"], health["items"]!.AsArray().Select(i => i!["entity"]!.GetValue<string>()));
        Assert.Equal(1, health["counts"]!["emptyGroup"]!.GetValue<int>()); // team-a-web: no members, no child groups (team-a has alice, team-b bob)
        using var csv = await carol.GetAsync("/api/insights/ownership?format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("problem,entity,kind,title,owner,detail", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("unknownOwner,component:default/ledger,Component,,group:default/ghosts,", StringComparison.Ordinal));

        // Callers' mistakes are 422 naming the field (as every validation in the app); unknown names are 404; nobody signed in is 401.
        Assert.NotNull((await ProblemAsync(carol, "/api/insights/scorecards/default/basics/entities?level=platinum", HttpStatusCode.UnprocessableEntity))["errors"]!["level"]);
        Assert.NotNull((await ProblemAsync(carol, "/api/insights/scorecards/default/basics/entities?failing=nope", HttpStatusCode.UnprocessableEntity))["errors"]!["failing"]);
        Assert.NotNull((await ProblemAsync(carol, "/api/insights/scorecards/default/basics/entities?limit=0", HttpStatusCode.UnprocessableEntity))["errors"]!["limit"]);
        Assert.NotNull((await ProblemAsync(carol, "/api/insights/ownership?problem=sad", HttpStatusCode.UnprocessableEntity))["errors"]!["problem"]);
        Assert.NotNull((await ProblemAsync(alice, "/api/insights/dora/teams/default/team-a?days=0", HttpStatusCode.UnprocessableEntity))["errors"]!["days"]);
        await ProblemAsync(carol, "/api/insights/scorecards/default/nothing", HttpStatusCode.NotFound);
        await ProblemAsync(carol, "/api/insights/teams/default/nobody/scorecards", HttpStatusCode.NotFound);
        using var anonymous = app.App.CreateAnonymousClient();
        using var unauthenticated = await anonymous.GetAsync("/api/insights/scorecards");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    [Fact]
    public async Task A_bad_scorecard_is_refused_at_registration_naming_each_field_and_nothing_is_written()
    {
        await using var app = await CatalogTestApp.StartAsync(azurite);
        var path = app.Write("bad-card.yaml", """
            apiVersion: idpserverless.io/v1alpha1
            kind: Scorecard
            metadata: {name: broken}
            spec:
              rules:
                - {id: a, type: techdocs}
                - {id: b, type: changeFailRate, max: 2}
              levels:
                - {name: Gold, rules: [a, b]}
            """);
        using var response = await app.RegisterAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        var errors = JsonNode.Parse(text)!["errors"]!.AsObject();
        Assert.Contains("spec.rules[0].type", errors.Select(e => e.Key));
        Assert.Contains("spec.rules[1].max", errors.Select(e => e.Key));
        Assert.Contains("techDocs", errors["spec.rules[0].type"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Null(await app.EntityAsync("scorecard", "broken"));
        Assert.Empty((await OkAsync(app.Http, "/api/insights/scorecards")).AsArray());
    }
}
