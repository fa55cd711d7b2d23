using IdpServerless.Functions.Secrets;

namespace IdpServerless.Functions.Webhooks;

/// <summary>
/// Resolves a secret reference (<c>local:&lt;name&gt;</c>, <c>vault:&lt;path&gt;#&lt;key&gt;</c>, <c>keyvault:&lt;name&gt;</c>) to its value at the
/// moment it is used. Webhooks, notifications and chat only ever store and log the reference. The identity feature's
/// <see cref="ISecretResolver"/> does the resolving; this narrow interface keeps the event features' tests and call sites simple.
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

/// <summary>Resolves through the identity feature's <see cref="ISecretResolver"/> (Vault, Key Vault, local settings); the value leaves <see cref="SecretValue"/> only here, at the point of use.</summary>
public sealed class ResolverSecretReferences(ISecretResolver resolver) : ISecretReferences
{
    public async Task<string> RevealAsync(string reference, CancellationToken cancellationToken)
    {
        try
        {
            return (await resolver.ResolveAsync(reference, cancellationToken)).Reveal();
        }
        catch (SecretResolutionException e)
        {
            throw new SecretUnavailableException(reference, e.Message);
        }
    }
}

/// <summary>Syntax of secret references, so a literal secret pasted where a reference belongs is refused.</summary>
public static class SecretReferenceSyntax
{
    public static bool IsReference(string? text) => SecretReference.TryParse(text, out _, out _);
}
