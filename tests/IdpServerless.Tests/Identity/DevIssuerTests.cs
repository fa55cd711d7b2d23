using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Identity;

/// <summary>The local dev issuer works in local mode only, and nothing it signs is accepted anywhere else.</summary>
[Collection("azurite")]
public class DevIssuerTests(AzuriteFixture azurite)
{
    private static InMemoryCatalogDirectory Directory() => new InMemoryCatalogDirectory()
        .AddGroup("team-a").AddUser("jane", "jane@example.com", ["team-a"]);

    [Fact]
    public async Task In_local_mode_the_picker_lists_catalog_users_and_a_token_signs_in_as_the_chosen_one()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?> { ["IDP_BOOTSTRAP_ADMINS"] = "user:default/admin" });
        var users = await host.Client.GetFromJsonAsync<JsonElement>("/api/auth/dev-users");
        var jane = Assert.Single(users.EnumerateArray(), u => u.GetProperty("ref").GetString() == "user:default/jane");
        Assert.Equal("jane@example.com", jane.GetProperty("email").GetString());
        Assert.Equal(["group:default/team-a"], jane.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Contains(users.EnumerateArray(), u => u.GetProperty("ref").GetString() == "user:default/admin");

        using var issued = await host.Client.PostAsJsonAsync("/api/auth/dev-token", new { user = "user:jane" });
        var token = await issued.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bearer", token.GetProperty("token_type").GetString());
        Assert.Equal(8 * 3600, token.GetProperty("expires_in").GetInt32());
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.GetProperty("access_token").GetString());
        var body = await (await host.Client.SendAsync(me)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("user:default/jane", body.GetProperty("userRef").GetString());
        Assert.Contains("application-developer", body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        using var unknown = await host.Client.PostAsJsonAsync("/api/auth/dev-token", new { user = "user:default/nobody" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.True((await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("user", out _));
    }

    [Theory]
    [InlineData("production", null, "IDP_MODE=local")]
    [InlineData("local", "some-azure-instance", "runs in Azure")]
    public async Task Outside_local_mode_the_dev_issuer_answers_404_and_its_tokens_are_refused(string mode, string? websiteInstance, string why)
    {
        // Both apps share a data folder, so they would share the dev issuer's key if the second one used it.
        var data = Path.Combine(Path.GetTempPath(), "idp-dev-issuer-" + Guid.NewGuid().ToString("N"));
        try
        {
            string token;
            await using (var local = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?> { ["IDP_DATA_DIR"] = data }))
            {
                token = await local.TokenAsync("user:default/jane");
                Assert.True(File.Exists(Path.Combine(data, "dev-issuer-key.pem")));
            }

            await using var elsewhere = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?>
            {
                ["IDP_MODE"] = mode,
                ["WEBSITE_INSTANCE_ID"] = websiteInstance,
                ["IDP_DATA_DIR"] = data,
            });
            using var issue = await elsewhere.Client.PostAsJsonAsync("/api/auth/dev-token", new { user = "user:default/jane" });
            Assert.Equal(HttpStatusCode.NotFound, issue.StatusCode);
            Assert.Equal("application/problem+json", issue.Content.Headers.ContentType?.MediaType);
            var problem = await issue.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("dev issuer is off", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains(why, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            using var list = await elsewhere.Client.GetAsync("/api/auth/dev-users");
            Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);

            using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me");
            me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var refused = await elsewhere.Client.SendAsync(me);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("dev issuer are not accepted", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            if (System.IO.Directory.Exists(data))
            {
                System.IO.Directory.Delete(data, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_production_process_refuses_the_dev_issuer()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string> { ["IDP_MODE"] = "production" });
        Assert.Null(app.AdminToken);
        using var r = await app.Http.PostAsJsonAsync("/api/auth/dev-token", new { user = "user:default/admin" });
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Contains("dev issuer is off", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
