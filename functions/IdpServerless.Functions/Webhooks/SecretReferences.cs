namespace IdpServerless.Functions.Webhooks;

/// <summary>
/// Resolves a secret reference (<c>local:&lt;name&gt;</c>, <c>vault:&lt;path&gt;#&lt;key&gt;</c>, <c>keyvault:&lt;name&gt;</c>) to its value at the
/// moment it is used. Webhooks, notifications and chat only ever store and log the reference. The identity feature's
/// <c>ISecretResolver</c> replaces the settings-backed implementation below once it lands.
/// </summary>
public interface ISecretReferences
{
    /// <summary>The secret's value; <see cref="SecretUnavailableException"/> (naming the reference, never a value) when it cannot be had.</summary>
    Task<string> RevealAsync(string reference, CancellationToken cancellationToken);
}

/// <summary>The secret behind a reference cannot be resolved (unknown scheme, missing setting, store down).</summary>
public sealed class SecretUnavailableException(string reference, string why)
    : Exception($"Secret reference '{reference}' cannot be resolved: {why}")
{
    public string Reference { get; } = reference;
}

/// <summary>
/// Local secrets: <c>local:&lt;name&gt;</c> reads the setting <c>Secrets__&lt;name&gt;</c>. Other schemes need the identity
/// feature's resolver (Vault, Key Vault).
/// </summary>
public sealed class SettingsSecretReferences(IConfiguration configuration) : ISecretReferences
{
    public const string LocalScheme = "local:";

    public Task<string> RevealAsync(string reference, CancellationToken cancellationToken)
    {
        if (!reference.StartsWith(LocalScheme, StringComparison.Ordinal))
        {
            throw new SecretUnavailableException(reference, "only local: references are resolvable without the identity feature's secret resolver.");
        }

        var name = reference[LocalScheme.Length..];
        var value = configuration["Secrets:" + name];
        return string.IsNullOrEmpty(value)
            ? throw new SecretUnavailableException(reference, $"setting Secrets__{name} is not set.")
            : Task.FromResult(value);
    }
}

/// <summary>Syntax of secret references, so a literal secret pasted where a reference belongs is refused.</summary>
public static class SecretReference
{
    private static readonly string[] Schemes = ["local:", "vault:", "keyvault:"];

    public static bool IsReference(string? text) =>
        !string.IsNullOrWhiteSpace(text) && text.Length <= 512 &&
        Schemes.Any(s => text.StartsWith(s, StringComparison.Ordinal) && text.Length > s.Length) &&
        !text.Any(char.IsWhiteSpace);
}
