namespace IdpServerless.Functions.Secrets.Providers;

/// <summary><c>local:&lt;name&gt;</c>: the app setting <c>Secrets__&lt;name&gt;</c> (local.settings.json locally, app settings in Azure).</summary>
public sealed class LocalSecretProvider(IConfiguration configuration) : ISecretProvider
{
    public string Scheme => SecretReference.Local;

    public Task<string> GetAsync(SecretReference reference, CancellationToken cancellationToken) =>
        configuration["Secrets:" + reference.Path] is { Length: > 0 } value
            ? Task.FromResult(value)
            : throw new SecretResolutionException(reference, $"the setting Secrets__{reference.Path} is not set.", 404);
}
