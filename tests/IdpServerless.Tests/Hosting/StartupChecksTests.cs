using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Hosting;

/// <summary>A start without optional settings names, once, every feature that is off and why; readiness lists the same.</summary>
[Collection("azurite")]
public class StartupChecksTests(AzuriteFixture azurite)
{
    /// <summary>Each feature that is off in production without optional settings, and a setting its entry must name.</summary>
    private static readonly (string Feature, string Setting)[] OffWithoutSettings =
    [
        ("ChatOps (Slack commands and buttons)", "Secrets__slack-signing-secret"),
        ("GitHub webhooks", "Webhooks__GitHub__DefaultSecret"),
        ("GitLab webhooks", "Webhooks__GitLab__DefaultSecret"),
        ("Bearer sign-in", "IDP_OIDC_AUTHORITY"),
        ("Keyed audit hash chain", "IDP_AUDIT_KEY"),
        ("vault: secret references", "IDP_VAULT_ADDR"),
        ("keyvault: secret references", "IDP_KEYVAULT_URL"),
        ("E-mail notifications", "Notifications__Smtp__Host"),
        ("OTLP export of traces and metrics", "OTEL_EXPORTER_OTLP_ENDPOINT"),
        ("Cross-origin browser calls", "IDP_CORS_ORIGINS"),
    ];

    [Fact]
    public async Task Without_optional_settings_each_feature_off_is_logged_once_and_listed_by_readiness()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string> { ["IDP_MODE"] = "production" });
        using var ready = await app.Http.GetAsync("/api/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Ready", body.GetProperty("status").GetString());
        Assert.Equal("reachable", body.GetProperty("storage").GetString());
        var listed = body.GetProperty("featuresOff").EnumerateArray().ToDictionary(
            f => f.GetProperty("feature").GetString()!,
            f => (Reason: f.GetProperty("reason").GetString()!, Settings: f.GetProperty("settings").EnumerateArray().Select(s => s.GetString()!).ToList()));
        Assert.Equal(OffWithoutSettings.Select(o => o.Feature).Order(StringComparer.Ordinal), listed.Keys.Order(StringComparer.Ordinal));

        // The log lines come through the process's stdout: wait until the last one is there, then count.
        await Eventually.TrueAsync(() => Task.FromResult(OffWithoutSettings.All(o => app.Output.Contains($"Feature off: {o.Feature}:", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10), "every feature-off line in the start-up log");
        foreach (var (feature, setting) in OffWithoutSettings)
        {
            Assert.Contains(setting, listed[feature].Settings);
            Assert.False(string.IsNullOrWhiteSpace(listed[feature].Reason));
            var lines = app.Output.Split('\n').Where(l => l.TrimStart().StartsWith($"Feature off: {feature}:", StringComparison.Ordinal)).ToList();
            var line = Assert.Single(lines);
            Assert.Contains(setting, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task With_the_settings_given_nothing_is_off()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string>
        {
            ["IDP_MODE"] = "production",
            ["Secrets__slack-signing-secret"] = "slack-signing",
            ["Webhooks__GitHub__DefaultSecret"] = "local:gh",
            ["Secrets__gh"] = "gh-secret",
            ["Webhooks__GitLab__Secrets__group__project"] = "keyvault:gitlab-hook",
            ["IDP_OIDC_AUTHORITY"] = "https://login.example.invalid/tenant/v2.0",
            ["IDP_OIDC_AUDIENCE"] = "api://idp",
            ["IDP_AUDIT_KEY"] = "local:audit",
            ["Secrets__audit"] = "audit-key",
            ["IDP_VAULT_ADDR"] = "http://127.0.0.1:1",
            ["IDP_VAULT_TOKEN"] = "local:vault-token",
            ["IDP_KEYVAULT_URL"] = "https://vault.example.invalid",
            ["Notifications__Smtp__Host"] = "smtp.example.invalid",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:1",
            ["IDP_CORS_ORIGINS"] = "http://127.0.0.1:4280",
        });
        using var ready = await app.Http.GetAsync("/api/health/ready");
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(0, body.GetProperty("featuresOff").GetArrayLength());
        Assert.DoesNotContain("Feature off: ", app.Output, StringComparison.Ordinal);
    }
}
