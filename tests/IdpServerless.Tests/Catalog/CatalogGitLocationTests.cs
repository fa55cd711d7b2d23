using System.Diagnostics;
using System.Text.Json;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Catalog;

/// <summary>
/// A <c>git</c> location read through the app's git provider (the local provider: bare repositories in the data folder,
/// through the real git CLI): nested Location targets with a glob, a <c>$text</c> placeholder, and a refresh after a push.
/// </summary>
[Collection("azurite")]
public class CatalogGitLocationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_git_location_ingests_globbed_targets_and_placeholders_and_follows_pushes()
    {
        await using var app = await CatalogTestApp.StartAsync(azurite);
        var bare = Path.Combine(app.Folder, "data", "git", "acme", "shop.git");
        var work = Path.Combine(app.Folder, "work");
        await GitAsync(null, "init", "--bare", "--quiet", "--initial-branch=main", bare);
        await GitAsync(null, "clone", "--quiet", bare, work);
        Directory.CreateDirectory(Path.Combine(work, "services"));
        await File.WriteAllTextAsync(Path.Combine(work, "catalog-info.yaml"), """
            apiVersion: backstage.io/v1alpha1
            kind: Location
            metadata:
              name: shop
            spec:
              targets: [./services/*.yaml]
            """);
        await File.WriteAllTextAsync(Path.Combine(work, "services", "cart.yaml"), """
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: cart
            spec:
              type: service
              lifecycle: production
              owner: shop-team
              providesApis: [cart-api]
            ---
            apiVersion: backstage.io/v1alpha1
            kind: API
            metadata:
              name: cart-api
            spec:
              type: openapi
              lifecycle: production
              owner: shop-team
              definition:
                $text: ../openapi.yaml
            """);
        await File.WriteAllTextAsync(Path.Combine(work, "openapi.yaml"), "openapi: 3.0.3\ninfo: {title: cart, version: 1.0.0}\npaths: {}\n");
        await CommitAndPushAsync(work, "catalog");

        var registered = await app.RegisterAsync("acme/shop/catalog-info.yaml", type: "git");
        Assert.Equal(System.Net.HttpStatusCode.Created, registered.StatusCode);
        var cart = (await app.EntityAsync("component", "cart"))!;
        Assert.Equal("git:acme/shop/services/cart.yaml", cart["metadata"]!["annotations"]!["backstage.io/managed-by-location"]!.GetValue<string>());
        Assert.Equal(["api:default/cart-api"], CatalogTestApp.Relations(cart, "providesApi"));
        var api = (await app.EntityAsync("api", "cart-api"))!;
        Assert.StartsWith("openapi: 3.0.3", api["spec"]!["definition"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["component:default/cart"], CatalogTestApp.Relations(api, "apiProvidedBy"));

        await File.WriteAllTextAsync(Path.Combine(work, "services", "payments.yaml"), """
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: shop-payments
            spec:
              type: service
              lifecycle: experimental
              owner: shop-team
              consumesApis: [cart-api]
            """);
        await CommitAndPushAsync(work, "add payments");
        var queue = azurite.CreateClient().GetQueue(app.RefreshQueue);
        await queue.CreateIfNotExistsAsync();
        await queue.SendAsync(JsonSerializer.Serialize(new { target = "git:acme/shop/catalog-info.yaml" }));
        var payments = await Eventually.ValueAsync(() => app.EntityAsync("component", "shop-payments"), TimeSpan.FromSeconds(60), "the pushed entity");
        Assert.Equal(["api:default/cart-api"], CatalogTestApp.Relations(payments!, "consumesApi"));
        Assert.Equal(["component:default/shop-payments"], CatalogTestApp.Relations((await app.EntityAsync("api", "cart-api"))!, "apiConsumedBy"));
    }

    private static async Task CommitAndPushAsync(string work, string message)
    {
        await GitAsync(work, "add", "-A");
        await GitAsync(work, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "--quiet", "-m", message);
        await GitAsync(work, "push", "--quiet", "origin", "HEAD:main");
    }

    private static async Task GitAsync(string? directory, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (directory is not null)
        {
            psi.WorkingDirectory = directory;
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', args)}: {error}");
    }
}
