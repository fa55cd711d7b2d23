using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Functions.Infrastructure;
using Microsoft.AspNetCore.Http;
using IdpServerless.Hosting.Security;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Identity;

/// <summary>
/// The real app composition in-process (TestServer) against the fixture's Azurite, with an in-memory catalog directory
/// standing in for the catalog's, and its own audit and binding tables so tests do not see each other's records.
/// </summary>
public sealed class IdentityTestHost : IAsyncDisposable
{
    private IdentityTestHost(WebApplication app, string auditTable, string rbacTable)
    {
        App = app;
        AuditTable = auditTable;
        RbacTable = rbacTable;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public string AuditTable { get; }

    public string RbacTable { get; }

    public IEnumerable<Endpoint> Endpoints => ((IEndpointRouteBuilder)App).DataSources.SelectMany(d => d.Endpoints);

    public static async Task<IdentityTestHost> StartAsync(
        AzuriteFixture azurite, ICatalogDirectory? directory, IDictionary<string, string?>? settings = null, Action<WebApplication>? map = null,
        Action<IServiceCollection>? services = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var auditTable = settings?.TryGetValue("IDP_AUDIT_TABLE", out var a) == true && a is not null ? a : "audit" + suffix;
        var rbacTable = "rbac" + suffix;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        var values = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Dispatch:Enabled"] = "false",
            ["IDP_MODE"] = "local",
            ["IDP_AUDIT_TABLE"] = auditTable,
            ["IDP_RBAC_TABLE"] = rbacTable,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            values[k] = v;
        }

        builder.Configuration.AddInMemoryCollection(values);
        AppComposition.AddServices(builder);
        if (directory is not null)
        {
            builder.Services.AddSingleton(directory);
        }

        services?.Invoke(builder.Services);

        var app = builder.Build();
        AppComposition.MapEndpoints(app);
        map?.Invoke(app);
        await app.StartAsync();
        return new IdentityTestHost(app, auditTable, rbacTable);
    }

    /// <summary>A client signed in as <paramref name="userRef"/> through the local dev issuer.</summary>
    public async Task<HttpClient> SignInAsync(string userRef)
    {
        var token = await TokenAsync(userRef);
        var client = App.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<string> TokenAsync(string userRef)
    {
        using var r = await Client.PostAsJsonAsync("/api/auth/dev-token", new { user = userRef });
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"dev-token for {userRef}: {(int)r.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
