using System.Security.Cryptography;
using System.Text;

namespace IdpServerless.Functions.Webhooks;

/// <summary>Signature checks of the git hosts, all in constant time.</summary>
public static class WebhookSignatures
{
    /// <summary>GitHub: <c>X-Hub-Signature-256: sha256=&lt;hex HMAC-SHA256 of the raw body&gt;</c>.</summary>
    public static bool GitHubValid(string secret, ReadOnlySpan<byte> body, string? header)
    {
        const string Prefix = "sha256=";
        if (header is null || !header.StartsWith(Prefix, StringComparison.Ordinal) || header.Length != Prefix.Length + 64)
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(header.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>GitLab: <c>X-Gitlab-Token</c> carries the shared secret itself; compare digests so length leaks nothing.</summary>
    public static bool GitLabValid(string secret, string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header));
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>Hex HMAC-SHA256 of <paramref name="data"/> (lowercase), as GitHub, Slack and our outgoing webhooks use.</summary>
    public static string HmacHex(string secret, ReadOnlySpan<byte> data) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), data));
}
