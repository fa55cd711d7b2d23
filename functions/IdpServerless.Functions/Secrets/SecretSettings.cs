namespace IdpServerless.Functions.Secrets;

/// <summary>Why a secret reference cannot resolve, as far as settings tell, and the settings that would fix it.</summary>
public sealed record SecretSettingsGap(string Reason, IReadOnlyList<string> Settings);

/// <summary>
/// Judges from configuration alone (no store is called) whether a secret reference can resolve: a <c>local:</c> name
/// needs its <c>Secrets__&lt;name&gt;</c> setting, <c>vault:</c> needs Vault's address and credentials, <c>keyvault:</c>
/// the vault's URL. Start-up checks and the request paths that need a secret use it to name what the operator must
/// set; it names settings and references, never values.
/// </summary>
public static class SecretSettings
{
    public static SecretSettingsGap? Lacking(IConfiguration configuration, string? reference, string referenceSetting)
    {
        if (!SecretReference.TryParse(reference?.Trim(), out var parsed, out var error))
        {
            return new($"{referenceSetting} is not a secret reference ({error})", [referenceSetting]);
        }

        switch (parsed.Scheme)
        {
            case SecretReference.Local when string.IsNullOrEmpty(configuration["Secrets:" + parsed.Path]):
                return new($"{referenceSetting} is {parsed}, and Secrets__{parsed.Path} is not set.", ["Secrets__" + parsed.Path]);
            case SecretReference.Vault when string.IsNullOrEmpty(configuration["IDP_VAULT_ADDR"]):
                return new($"{referenceSetting} is {parsed}, and IDP_VAULT_ADDR is not set.", ["IDP_VAULT_ADDR"]);
            case SecretReference.Vault when string.IsNullOrEmpty(configuration["IDP_VAULT_TOKEN"]) &&
                                            (string.IsNullOrEmpty(configuration["IDP_VAULT_ROLE_ID"]) || string.IsNullOrEmpty(configuration["IDP_VAULT_SECRET_ID"])):
                return new($"{referenceSetting} is {parsed}, and Vault has no credentials.", ["IDP_VAULT_TOKEN", "IDP_VAULT_ROLE_ID", "IDP_VAULT_SECRET_ID"]);
            case SecretReference.KeyVault when string.IsNullOrEmpty(configuration["IDP_KEYVAULT_URL"]):
                return new($"{referenceSetting} is {parsed}, and IDP_KEYVAULT_URL is not set.", ["IDP_KEYVAULT_URL"]);
            default:
                return null;
        }
    }
}
