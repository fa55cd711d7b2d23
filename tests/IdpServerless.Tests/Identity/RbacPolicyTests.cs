using System.Net;
using System.Net.Http.Json;
using IdpServerless.Functions.Identity.Rbac;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Identity;

/// <summary>The decision point itself: defaults, ownership through parent groups, scoped bindings, environments.</summary>
[Collection("azurite")]
public class RbacPolicyTests(AzuriteFixture azurite)
{
    private static InMemoryCatalogDirectory Directory() => new InMemoryCatalogDirectory()
        .AddGroup("payments").AddGroup("payments-api", parent: "payments").AddGroup("search")
        .AddUser("pat", "pat@example.com", ["payments-api"])
        .AddUser("sam", "sam@example.com", ["search"])
        .AddUser("nina", "nina@example.com")
        .AddEntity("component:default/ledger", "payments")
        .AddEntity("component:default/indexer", "search");

    private static IdpServerless.Hosting.Security.Caller Caller(string name, params string[] groups) =>
        new("user:default/" + name, name, name + "@example.com", groups.Select(g => "group:default/" + g).ToArray(), Channels.Api, true);

    private static readonly string[] PatGroups = ["payments-api", "payments"];

    [Fact]
    public async Task A_member_of_a_child_group_owns_what_the_parent_group_owns_and_nothing_of_another_team()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory());
        var policy = host.App.Services.GetRequiredService<IAccessPolicy>();
        var pat = Caller("pat", PatGroups);

        Assert.True((await policy.DecideAsync(pat, Permissions.DeploymentRead, new AccessResource("component:default/ledger"), default)).Allowed);
        var other = await policy.DecideAsync(pat, Permissions.DeploymentRead, new AccessResource("component:default/indexer"), default);
        Assert.False(other.Allowed);
        Assert.Equal(Permissions.DeploymentRead, other.Permission);
        Assert.Contains("group:default/search", other.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_developer_deploys_owned_apps_to_development_environments_only_and_an_owner_everywhere()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?> { ["IDP_BOOTSTRAP_ADMINS"] = "user:default/root" });
        var policy = host.App.Services.GetRequiredService<IAccessPolicy>();
        var pat = Caller("pat", PatGroups);
        var ledger = "component:default/ledger";

        Assert.True((await policy.DecideAsync(pat, Permissions.DeploymentCreate, new AccessResource(ledger, "dev"), default)).Allowed);
        Assert.True((await policy.DecideAsync(pat, Permissions.DeploymentCreate, new AccessResource(ledger, "development"), default)).Allowed);
        var prod = await policy.DecideAsync(pat, Permissions.DeploymentCreate, new AccessResource(ledger, "prod"), default);
        Assert.False(prod.Allowed);
        Assert.Contains("development environments", prod.Reason, StringComparison.Ordinal);
        Assert.False((await policy.DecideAsync(pat, Permissions.DeploymentRollback, new AccessResource(ledger, "dev"), default)).Allowed);

        // The payments group becomes application-owner: its members may deploy their apps to production and roll back.
        using var root = await host.SignInAsync("user:default/root");
        using (var r = await root.PostAsJsonAsync("/api/rbac/bindings", new { subject = "group:default/payments", role = "application-owner" }))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        Assert.True((await policy.DecideAsync(pat, Permissions.DeploymentCreate, new AccessResource(ledger, "prod"), default)).Allowed);
        Assert.True((await policy.DecideAsync(pat, Permissions.DeploymentRollback, new AccessResource(ledger, "prod"), default)).Allowed);
        Assert.False((await policy.DecideAsync(pat, Permissions.DeploymentCreate, new AccessResource("component:default/indexer", "prod"), default)).Allowed);
    }

    [Fact]
    public async Task An_owner_cannot_go_around_the_deployment_approver_check_through_the_generic_orchestration_api()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?> { ["IDP_BOOTSTRAP_ADMINS"] = "user:default/root" });
        using (var root = await host.SignInAsync("user:default/root"))
        using (var r = await root.PostAsJsonAsync("/api/rbac/bindings", new { subject = "group:default/payments", role = "application-owner" }))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        var authorizer = host.App.Services.GetRequiredService<IdpServerless.Functions.Orchestration.IOrchestrationAuthorizer>();
        var pat = Caller("pat", PatGroups);
        var root2 = Caller("root");
        var labels = new Dictionary<string, string> { ["component"] = "component:default/ledger", ["environment"] = "prod" };
        IdpServerless.Functions.Orchestration.OrchestrationAccessRequest Ask(IdpServerless.Functions.Orchestration.OrchestrationOperation op, string orchestrator, string? evt = null) =>
            new(op, orchestrator, "i-1", labels, evt);
        var deployment = IdpServerless.Functions.Deployments.Orchestrations.DeploymentFunctions.Orchestrator;
        var raise = IdpServerless.Functions.Orchestration.OrchestrationOperation.RaiseEvent;

        // The owner controls the orchestrations of owned apps in general...
        Assert.True((await authorizer.AuthorizeAsync(pat, Ask(raise, IdpServerless.Functions.Orchestration.SelfTestOrchestrator.Name, "go"), default)).Allowed);
        // ...but an approval raised straight at a deployment would skip the approvers of the protected environment.
        var approval = await authorizer.AuthorizeAsync(pat, Ask(raise, deployment, "approval"), default);
        Assert.False(approval.Allowed);
        Assert.Equal(Permissions.OrchestrationAdmin, approval.Permission);
        Assert.Contains("/api/deployments", approval.Reason, StringComparison.Ordinal);
        Assert.False((await authorizer.AuthorizeAsync(pat, Ask(IdpServerless.Functions.Orchestration.OrchestrationOperation.Terminate, deployment), default)).Allowed);
        Assert.False((await authorizer.AuthorizeAsync(pat, Ask(IdpServerless.Functions.Orchestration.OrchestrationOperation.Start, "ScaffolderTask"), default)).Allowed);
        // Reading stays with orchestration.read, and a platform-admin may still repair a stuck deployment.
        Assert.True((await authorizer.AuthorizeAsync(pat, Ask(IdpServerless.Functions.Orchestration.OrchestrationOperation.Read, deployment), default)).Allowed);
        Assert.True((await authorizer.AuthorizeAsync(root2, Ask(raise, deployment, "approval"), default)).Allowed);
    }

    [Fact]
    public async Task A_binding_scoped_to_an_entity_grants_the_role_there_whoever_owns_it()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?> { ["IDP_BOOTSTRAP_ADMINS"] = "user:default/root" });
        var policy = host.App.Services.GetRequiredService<IAccessPolicy>();
        var nina = Caller("nina");
        Assert.False((await policy.DecideAsync(nina, Permissions.ReleaseControl, new AccessResource("component:default/indexer"), default)).Allowed);

        using var root = await host.SignInAsync("user:default/root");
        using (var r = await root.PostAsJsonAsync("/api/rbac/bindings", new { subject = "user:default/nina", role = "application-owner", scope = "component:default/indexer" }))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        Assert.True((await policy.DecideAsync(nina, Permissions.ReleaseControl, new AccessResource("component:default/indexer"), default)).Allowed);
        Assert.False((await policy.DecideAsync(nina, Permissions.ReleaseControl, new AccessResource("component:default/ledger"), default)).Allowed);
        Assert.False((await policy.DecideAsync(nina, Permissions.RbacAdmin, null, default)).Allowed);
    }

    [Fact]
    public async Task Defaults_make_every_user_a_viewer_group_members_developers_and_bootstrap_admins_admins()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?> { ["IDP_BOOTSTRAP_ADMINS"] = "user:default/nina, boss@example.com" });
        var policy = host.App.Services.GetRequiredService<RbacAccessPolicy>();

        var sam = await policy.GetGrantsAsync(Caller("sam", "search"), default);
        Assert.Equal(["application-developer", "viewer"], sam.Select(g => g.Role.Name).Order());
        var nina = await policy.GetGrantsAsync(Caller("nina"), default);
        Assert.Equal(["platform-admin", "viewer"], nina.Select(g => g.Role.Name).Order());
        var boss = new Caller("user:default/boss", "Boss", "boss@example.com", [], Channels.Api, true);
        Assert.True((await policy.DecideAsync(boss, Permissions.RbacAdmin, null, default)).Allowed);
        Assert.True((await policy.DecideAsync(boss, "some.future.permission", new AccessResource("component:default/ledger"), default)).Allowed);

        Assert.False((await policy.DecideAsync(global::IdpServerless.Hosting.Security.Caller.Anonymous, Permissions.CatalogRead, null, default)).Allowed);
        Assert.True((await policy.DecideAsync(global::IdpServerless.Hosting.Security.Caller.SystemFor("catalog-refresh"), Permissions.CatalogWrite, null, default)).Allowed);
        Assert.False((await policy.DecideAsync(Caller("sam", "search"), Permissions.AuditRead, null, default)).Allowed);
    }

    [Fact]
    public async Task Role_bindings_are_managed_by_platform_admins_only_and_validated()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?> { ["IDP_BOOTSTRAP_ADMINS"] = "user:default/root" });
        using var root = await host.SignInAsync("user:default/root");
        using var sam = await host.SignInAsync("user:default/sam");

        using var denied = await sam.GetAsync("/api/rbac/bindings");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var problem = await denied.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("rbac.admin", problem.GetProperty("permission").GetString());
        Assert.Equal("application/problem+json", denied.Content.Headers.ContentType?.MediaType);

        using var invalid = await root.PostAsJsonAsync("/api/rbac/bindings", new { subject = "component:default/x", role = "wizard" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        var errors = (await invalid.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("subject", out _));
        Assert.True(errors.TryGetProperty("role", out _));

        using var created = await root.PostAsJsonAsync("/api/rbac/bindings", new { subject = "group:search", role = "Application-Owner" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var binding = await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("group:default/search", binding.GetProperty("subject").GetString());
        Assert.Equal("application-owner", binding.GetProperty("role").GetString());
        var id = binding.GetProperty("id").GetString()!;
        Assert.Equal($"/api/rbac/bindings/{id}", created.Headers.Location?.OriginalString);

        using var duplicate = await root.PostAsJsonAsync("/api/rbac/bindings", new { subject = "group:default/search", role = "application-owner" });
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);

        var list = await root.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/rbac/bindings");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), b => b.GetProperty("id").GetString() == id);

        using var deleted = await root.DeleteAsync($"/api/rbac/bindings/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var again = await root.DeleteAsync($"/api/rbac/bindings/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }
}
