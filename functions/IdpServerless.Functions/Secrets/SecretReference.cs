using System.Diagnostics.CodeAnalysis;

namespace IdpServerless.Functions.Secrets;

/// <summary>
/// Where a secret lives, never the secret: <c>vault:&lt;mount&gt;/&lt;path&gt;#&lt;key&gt;</c> (Vault KV v2),
/// <c>keyvault:&lt;name&gt;</c> (Azure Key Vault), or <c>local:&lt;name&gt;</c> (the setting <c>Secrets__&lt;name&gt;</c>).
/// This is what storage, Git and APIs carry; <see cref="ISecretResolver"/> turns it into a value when it is used.
/// </summary>
public sealed record SecretReference(string Scheme, string Path, string? Key)
{
    public const string Vault = "vault";
    public const string KeyVault = "keyvault";
    public const string Local = "local";

    public override string ToString() => Key is null ? $"{Scheme}:{Path}" : $"{Scheme}:{Path}#{Key}";

    /// <summary>True when <paramref name="value"/> looks like a reference (a known scheme prefix), valid or not.</summary>
    public static bool LooksLikeReference(string? value) =>
        value is not null && (value.StartsWith(Vault + ":", StringComparison.Ordinal) ||
                              value.StartsWith(KeyVault + ":", StringComparison.Ordinal) ||
                              value.StartsWith(Local + ":", StringComparison.Ordinal));

    public static bool TryParse(string? value, [NotNullWhen(true)] out SecretReference? reference, out string? error)
    {
        reference = null;
        error = null;
        if (string.IsNullOrWhiteSpace(value) || value.Length > 512)
        {
            error = "A secret reference is required (at most 512 characters).";
            return false;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon > 0 ? value[..colon] : string.Empty;
        var rest = colon > 0 ? value[(colon + 1)..] : string.Empty;
        switch (scheme)
        {
            case Vault:
                var hash = rest.LastIndexOf('#');
                var path = hash > 0 ? rest[..hash] : string.Empty;
                var key = hash > 0 ? rest[(hash + 1)..] : string.Empty;
                var segments = path.Split('/');
                if (segments.Length < 2 || segments.Any(s => s.Length == 0 || s is "." or ".." || !s.All(IsPathChar)) || key.Length == 0 || !key.All(IsPathChar))
                {
                    error = "Expected vault:<mount>/<path>#<key>, e.g. vault:secret/payments/db#password.";
                    return false;
                }

                reference = new SecretReference(Vault, path, key);
                return true;
            case KeyVault:
                if (rest.Length is 0 or > 127 || !rest.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    error = "Expected keyvault:<name> (1-127 letters, digits and dashes).";
                    return false;
                }

                reference = new SecretReference(KeyVault, rest, null);
                return true;
            case Local:
                if (rest.Length is 0 or > 128 || !rest.All(IsPathChar))
                {
                    error = "Expected local:<name> (letters, digits, '.', '_' and '-').";
                    return false;
                }

                reference = new SecretReference(Local, rest, null);
                return true;
            default:
                error = "A secret reference starts with vault:, keyvault: or local:.";
                return false;
        }
    }

    public static SecretReference Parse(string value) =>
        TryParse(value, out var r, out var error) ? r : throw new FormatException(error);

    private static bool IsPathChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
}
