using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Identity;

/// <summary>Rate limits, request size limits, security headers, and errors that never carry stack traces.</summary>
[Collection("azurite")]
public class HardeningTests(AzuriteFixture azurite)
{
    private static InMemoryCatalogDirectory Directory() => new InMemoryCatalogDirectory().AddUser("jane", "jane@example.com").AddUser("joe", "joe@example.com");

    [Fact]
    public async Task A_caller_over_the_per_identity_limit_gets_429_with_retry_after_while_others_go_on()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?>
        {
            ["IDP_RATE_LIMIT_PER_IDENTITY"] = "2",
            ["IDP_RATE_LIMIT_PER_ADDRESS"] = "0",
        });
        using var jane = await host.SignInAsync("user:default/jane");
        using var joe = await host.SignInAsync("user:default/joe");

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 40 && limited is null; i++)
        {
            var r = await jane.GetAsync("/api/rbac/roles");
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = r;
            }
            else
            {
                r.Dispose();
            }
        }

        Assert.NotNull(limited);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 20, "a burst of ten seconds' worth passes first");
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        var problem = await limited.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://idpserverless.dev/problems/rate-limited", problem.GetProperty("type").GetString());
        limited.Dispose();

        using var other = await joe.GetAsync("/api/rbac/roles");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task An_address_over_its_limit_gets_429_even_without_signing_in()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), new Dictionary<string, string?> { ["IDP_RATE_LIMIT_PER_ADDRESS"] = "1" });
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 15; i++)
        {
            using var r = await host.Client.GetAsync("/api/health");
            codes.Add(r.StatusCode);
        }

        Assert.Equal(10, codes.Count(c => c == HttpStatusCode.OK));
        Assert.Equal(HttpStatusCode.TooManyRequests, codes[^1]);
    }

    [Fact]
    public async Task Responses_carry_security_headers_on_success_and_on_errors()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory());
        foreach (var path in new[] { "/api/health", "/api/me", "/api/nowhere" })
        {
            using var r = await host.Client.GetAsync(path);
            Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", r.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("no-referrer", r.Headers.GetValues("Referrer-Policy").Single());
            Assert.StartsWith("default-src 'none'", r.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.False(r.Headers.Contains("Strict-Transport-Security"), "HSTS only over https");
        }
    }

    [Fact]
    public async Task An_oversized_body_is_a_413_problem_and_malformed_json_a_400_without_a_stack_trace()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string>
        {
            ["IDP_MODE"] = "local",
            ["IDP_BOOTSTRAP_ADMINS"] = "user:default/admin",
            ["IDP_MAX_REQUEST_BYTES"] = "2048",
        });
        using var tokenResponse = await app.Http.PostAsJsonAsync("/api/auth/dev-token", new { user = "user:default/admin" });
        var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        app.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var big = JsonSerializer.Serialize(new { subject = "group:default/team", role = "viewer", scope = new string('x', 8000) });
        using var tooLarge = await app.Http.PostAsync("/api/rbac/bindings", new StringContent(big, Encoding.UTF8, "application/json"));
        Assert.True(HttpStatusCode.RequestEntityTooLarge == tooLarge.StatusCode, $"{tooLarge.StatusCode} {await tooLarge.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", tooLarge.Content.Headers.ContentType?.MediaType);
        var tooLargeBody = await tooLarge.Content.ReadAsStringAsync();
        Assert.True(tooLargeBody.Contains("https://idpserverless.dev/problems/payload-too-large", StringComparison.Ordinal), tooLargeBody);

        using var malformed = await app.Http.PostAsync("/api/rbac/bindings", new StringContent("{\"subject\": ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        var text = await malformed.Content.ReadAsStringAsync();
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
    }
}
