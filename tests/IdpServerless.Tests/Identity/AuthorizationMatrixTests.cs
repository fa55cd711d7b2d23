using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace IdpServerless.Tests.Identity;

/// <summary>
/// Every role, plus anonymous, against every HTTP function the app maps, generated from its endpoint data source (a
/// new function is covered without touching this test). The expected answer comes from the spec table below, not from
/// the implementation: 401 for anonymous callers of protected functions, never 401 for a signed-in caller, 403 naming
/// the permission exactly when the spec says the caller lacks it, anything else means the call was let through.
/// Ownership is checked with two teams: the route names team A's component, then team B's.
/// </summary>
[Collection("azurite")]
public class AuthorizationMatrixTests(AzuriteFixture azurite)
{
    private enum Reach
    {
        Anywhere,
        Owned,
        OwnedDevOnly,
    }

    // The spec (seed 000): what each role may do, and where.
    private static readonly Dictionary<string, Reach> Viewer = new()
    {
        [Permissions.CatalogRead] = Reach.Anywhere,
        [Permissions.DocsRead] = Reach.Anywhere,
        [Permissions.TemplateRead] = Reach.Anywhere,
    };

    private static readonly Dictionary<string, Reach> Developer = new()
    {
        [Permissions.TemplateExecute] = Reach.Anywhere,
        [Permissions.ClusterRead] = Reach.Anywhere,
        [Permissions.NotificationRead] = Reach.Anywhere,
        [Permissions.DeploymentRead] = Reach.Owned,
        [Permissions.LogsRead] = Reach.Owned,
        [Permissions.MetricsRead] = Reach.Owned,
        [Permissions.OrchestrationRead] = Reach.Owned,
        [Permissions.DeploymentCreate] = Reach.OwnedDevOnly,
    };

    private static readonly Dictionary<string, Reach> Owner = new()
    {
        [Permissions.TemplateExecute] = Reach.Anywhere,
        [Permissions.ClusterRead] = Reach.Anywhere,
        [Permissions.NotificationRead] = Reach.Anywhere,
        [Permissions.DeploymentRead] = Reach.Owned,
        [Permissions.LogsRead] = Reach.Owned,
        [Permissions.MetricsRead] = Reach.Owned,
        [Permissions.OrchestrationRead] = Reach.Owned,
        [Permissions.DeploymentCreate] = Reach.Owned,
        [Permissions.DeploymentRollback] = Reach.Owned,
        [Permissions.DeploymentApprove] = Reach.Owned,
        [Permissions.ReleaseControl] = Reach.Owned,
        [Permissions.OrchestrationControl] = Reach.Owned,
        [Permissions.EnvironmentWrite] = Reach.Owned,
    };

    /// <summary>Who signs in as which role: name, the spec tables that apply (roles add up), and whether they are on team A.</summary>
    private static readonly (string Role, string User, Dictionary<string, Reach>[] Grants, bool Admin)[] Callers =
    [
        ("viewer", "vera", [Viewer], false),
        ("application-developer", "dana", [Viewer, Developer], false),
        ("application-owner", "olive", [Viewer, Developer, Owner], false),
        ("platform-admin", "adam", [Viewer], true),
    ];

    [Fact]
    public async Task Every_role_and_anonymous_get_the_expected_answer_from_every_http_function()
    {
        var directory = new InMemoryCatalogDirectory()
            .AddGroup("engineering").AddGroup("team-a", parent: "engineering").AddGroup("team-b", parent: "engineering")
            .AddUser("vera", "vera@example.com")
            .AddUser("dana", "dana@example.com", ["team-a"])
            .AddUser("olive", "olive@example.com", ["team-a"])
            .AddUser("adam", "adam@example.com")
            .AddEntity("component:default/a-svc", "team-a")
            .AddEntity("component:default/b-svc", "team-b");
        await using var host = await IdentityTestHost.StartAsync(azurite, directory, new Dictionary<string, string?>
        {
            ["IDP_BOOTSTRAP_ADMINS"] = "user:default/root",
            ["IDP_RATE_LIMIT_PER_IDENTITY"] = "0",
            ["IDP_RATE_LIMIT_PER_ADDRESS"] = "0",
        }, MapOwnershipProbes);

        // Roles beyond the defaults come from bindings, made through the API by the bootstrap admin.
        using (var root = await host.SignInAsync("user:default/root"))
        {
            foreach (var (subject, role) in new[] { ("user:default/olive", "application-owner"), ("user:default/adam", "platform-admin") })
            {
                using var r = await root.PostAsJsonAsync("/api/rbac/bindings", new { subject, role });
                Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            }
        }

        var clients = new Dictionary<string, HttpClient>();
        foreach (var c in Callers)
        {
            clients[c.Role] = await host.SignInAsync("user:default/" + c.User);
        }

        var endpoints = host.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 })
            .ToArray();
        Assert.True(endpoints.Length >= 10, $"only {endpoints.Length} endpoints found");
        var failures = new List<string>();
        var checkedCalls = 0;
        var sawOwnershipDenial = false;
        foreach (var (entity, ownedByTeamA, environment) in new[] { ("a-svc", true, "prod"), ("b-svc", false, "prod"), ("a-svc", true, "dev") })
        {
            foreach (var endpoint in endpoints)
            {
                var required = endpoint.Metadata.GetMetadata<RequiredPermission>();
                var anonymous = endpoint.Metadata.GetMetadata<AnonymousFunction>();
                Assert.True((required is null) != (anonymous is null), $"{endpoint.DisplayName} must declare exactly one access rule");
                var url = Url(endpoint.RoutePattern, entity, environment);
                var routeEnvironment = endpoint.RoutePattern.Parameters.Any(p => p.Name is "environment" or "env") ? environment : null;

                // Signature-verified anonymous functions (webhooks, Slack) authenticate the request itself: an unsigned call
                // is 401 by their own contract (issue 8), without a Bearer challenge, whoever is signed in.
                var signed = anonymous?.Why.Contains("sign", StringComparison.OrdinalIgnoreCase) == true;
                foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Where(m => m != HttpMethods.Options))
                {
                    // Anonymous.
                    var anonStatus = await SendAsync(host.Client, method, url, bearerChallenge: !signed);
                    checkedCalls++;
                    if (required is not null && anonStatus.Status != 401)
                    {
                        failures.Add($"anonymous {method} {url}: expected 401, got {anonStatus.Status}");
                    }
                    else if (required is null && (anonStatus.Status == 403 || (anonStatus.Status == 401 && !signed)))
                    {
                        failures.Add($"anonymous {method} {url} (anonymous function): got {anonStatus.Status}");
                    }

                    foreach (var caller in Callers)
                    {
                        var expectAllowed = required is null || caller.Admin ||
                            caller.Grants.Any(g => Allows(g, required, ownedByTeamA, routeEnvironment));
                        var (status, permission) = await SendAsync(clients[caller.Role], method, url, bearerChallenge: !signed);
                        checkedCalls++;
                        if (status == 401 && !signed)
                        {
                            failures.Add($"{caller.Role} {method} {url}: 401 for a signed-in caller");
                        }
                        else if (expectAllowed && status == 403)
                        {
                            failures.Add($"{caller.Role} {method} {url}: expected to be let through ({required?.Permission}), got 403");
                        }
                        else if (!expectAllowed && (status != 403 || permission != required!.Permission))
                        {
                            failures.Add($"{caller.Role} {method} {url}: expected 403 naming {required!.Permission}, got {status} naming {permission ?? "nothing"}");
                        }

                        if (!expectAllowed && !ownedByTeamA && caller.Grants.Any(g => g.ContainsKey(required!.Permission)))
                        {
                            sawOwnershipDenial = true;
                        }
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedCalls} calls answered unexpectedly:\n" + string.Join("\n", failures));
        Assert.True(checkedCalls > endpoints.Length * 5);
        Assert.True(sawOwnershipDenial, "no owner-scoped function denied team A's owner on team B's component");
    }

    /// <summary>
    /// Functions scoped to their route's entity, shaped like the deployment and delivery functions other features add
    /// (which the matrix then covers too), so ownership is exercised whatever else is mapped.
    /// </summary>
    private static void MapOwnershipProbes(WebApplication app)
    {
        app.MapGet("/api/matrix-probe/entities/{kind}/{namespace}/{name}/deployments", () => Results.Ok())
            .WithName("ProbeDeploymentHistory").RequirePermission(Permissions.DeploymentRead, resourceFromRoute: true);
        app.MapPost("/api/matrix-probe/components/{namespace}/{name}/environments/{environment}/deploy", () => Results.Accepted())
            .WithName("ProbeDeploy").RequirePermission(Permissions.DeploymentCreate, resourceFromRoute: true);
        app.MapPost("/api/matrix-probe/components/{namespace}/{name}/release/promote", () => Results.Accepted())
            .WithName("ProbePromote").RequirePermission(Permissions.ReleaseControl, resourceFromRoute: true);
        app.MapGet("/api/matrix-probe/entities/{kind}/{namespace}/{name}", () => Results.Ok())
            .WithName("ProbeEntity").RequirePermission(Permissions.CatalogRead, resourceFromRoute: true);
    }

    private static bool Allows(Dictionary<string, Reach> grants, RequiredPermission required, bool owned, string? environment)
    {
        if (!grants.TryGetValue(required.Permission, out var reach))
        {
            return false;
        }

        // A function not scoped to its route's entity asks "anywhere?": the handler checks the entity it acts on.
        if (!required.ResourceFromRoute || reach == Reach.Anywhere)
        {
            return true;
        }

        return owned && (reach != Reach.OwnedDevOnly || environment is null or "dev");
    }

    private static async Task<(int Status, string? Permission)> SendAsync(HttpClient client, string method, string url, bool bearerChallenge = true)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        string? permission = null;
        if (response.StatusCode == HttpStatusCode.Forbidden)
        {
            var body = await response.Content.ReadAsStringAsync();
            using var doc = JsonDocument.Parse(body);
            permission = doc.RootElement.TryGetProperty("permission", out var p) ? p.GetString() : null;
        }

        if (response.StatusCode == HttpStatusCode.Unauthorized && bearerChallenge)
        {
            Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        return ((int)response.StatusCode, permission);
    }

    /// <summary>A concrete URL for a route pattern: kind/namespace/name name the pass's component, other values are made up.</summary>
    private static string Url(RoutePattern pattern, string entity, string environment)
    {
        var sb = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            sb.Append('/');
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal:
                        sb.Append(literal.Content);
                        break;
                    case RoutePatternSeparatorPart separator:
                        sb.Append(separator.Content);
                        break;
                    case RoutePatternParameterPart p:
                        var constraints = pattern.ParameterPolicies.TryGetValue(p.Name, out var policies) ? policies.Select(x => x.Content ?? string.Empty).ToArray() : [];
                        sb.Append(p.Name switch
                        {
                            "kind" => "component",
                            "namespace" => "default",
                            "name" => entity,
                            "environment" or "env" => environment,
                            _ when constraints.Any(c => c is "int" or "long" || c.StartsWith("min", StringComparison.Ordinal) || c.StartsWith("range", StringComparison.Ordinal)) => "1",
                            _ when constraints.Contains("guid") => Guid.Empty.ToString(),
                            _ when constraints.Contains("bool") => "true",
                            _ when p.IsCatchAll => "matrix/probe",
                            _ => "matrix-probe",
                        });
                        break;
                }
            }
        }

        return sb.Length == 0 ? "/" : sb.ToString();
    }
}
