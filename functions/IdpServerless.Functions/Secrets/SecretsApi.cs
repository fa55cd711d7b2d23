using IdpServerless.Functions.Identity.Access;
using IdpServerless.Functions.Secrets.Providers;
using IdpServerless.Hosting.Features;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Secrets;

public sealed record VerifySecretRequest(string? Reference);

/// <summary>Whether a reference resolved. Never the value, its length or a fingerprint of it.</summary>
public sealed record VerifySecretResult(string Reference, string Scheme, bool Resolved, string? Reason, int? UpstreamStatus);

/// <summary>
/// <c>POST /api/secrets/verify</c>: lets a platform-admin check that a secret reference resolves where the app runs
/// (the store is reachable, the app's credentials are accepted, the key exists) without ever seeing the value.
/// </summary>
public static class SecretsApi
{
    public static IEndpointRouteBuilder MapSecretsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/secrets/verify", VerifyAsync)
            .WithTags("Secrets").WithName("VerifySecretReference")
            .RequirePermission(Permissions.RbacAdmin);
        return app;
    }

    private static async Task<VerifySecretResult> VerifyAsync(VerifySecretRequest? request, HttpContext http, ISecretResolver resolver, CancellationToken ct)
    {
        if (!SecretReference.TryParse(request?.Reference, out var reference, out var error))
        {
            throw ProblemException.Validation("reference", error!);
        }

        http.Audit().Detail["reference"] = reference.ToString();
        try
        {
            _ = await resolver.ResolveAsync(reference, ct);
            http.Audit().Detail["resolved"] = "true";
            return new VerifySecretResult(reference.ToString(), reference.Scheme, true, null, null);
        }
        catch (SecretResolutionException e)
        {
            http.Audit().Detail["resolved"] = "false";
            http.Audit().Detail["reason"] = e.Message;
            return new VerifySecretResult(reference.ToString(), reference.Scheme, false, e.Message, e.UpstreamStatus);
        }
    }
}

public static class SecretsRegistration
{
    /// <summary>Secret references and their providers: Vault KV v2, Azure Key Vault and local settings.</summary>
    public static IServiceCollection AddSecrets(this IServiceCollection services)
    {
        services.AddHttpClient(VaultSecretProvider.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(20));
        // Key Vault: the SDK bounds each try (IDP_KEYVAULT_TIMEOUT_SECONDS) and retries; the HttpClient must not cut it short.
        services.AddHttpClient(KeyVaultSecretProvider.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddSingleton<ISecretProvider, LocalSecretProvider>();
        services.AddSingleton<ISecretProvider, VaultSecretProvider>();
        services.AddSingleton<ISecretProvider, KeyVaultSecretProvider>();
        services.AddSingleton<SecretResolver>();
        services.AddSingleton<ISecretResolver>(sp => sp.GetRequiredService<SecretResolver>());
        services.AddFeatureCheck(sp => FeaturesOff(sp.GetRequiredService<IConfiguration>()));
        return services;
    }

    /// <summary>Start-up check: the secret stores that <c>vault:</c> and <c>keyvault:</c> references need.</summary>
    public static IEnumerable<FeatureOff> FeaturesOff(IConfiguration configuration)
    {
        if (string.IsNullOrEmpty(configuration["IDP_VAULT_ADDR"]))
        {
            yield return new FeatureOff("vault: secret references", "they cannot resolve: IDP_VAULT_ADDR is not set.", ["IDP_VAULT_ADDR"]);
        }
        else if (SecretSettings.Lacking(configuration, "vault:any/path#key", "a vault: reference") is { } vault)
        {
            yield return new FeatureOff("vault: secret references", "they cannot resolve: Vault has no credentials.", vault.Settings);
        }

        if (string.IsNullOrEmpty(configuration["IDP_KEYVAULT_URL"]))
        {
            yield return new FeatureOff("keyvault: secret references", "they cannot resolve: IDP_KEYVAULT_URL is not set.", ["IDP_KEYVAULT_URL"]);
        }
    }
}
