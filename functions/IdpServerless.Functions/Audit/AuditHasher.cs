using System.Security.Cryptography;
using System.Text;

namespace IdpServerless.Functions.Audit;

/// <summary>
/// The chain's hash: SHA-256, or HMAC-SHA-256 when <c>IDP_AUDIT_KEY</c> gives a key (a secret reference or a value).
/// Plain SHA-256 detects edits and deletions by anyone who does not recompute the chain; with a key, someone who can
/// write to storage but does not hold the key cannot forge a consistent chain either.
/// </summary>
public sealed class AuditHasher(byte[]? key)
{
    public bool Keyed => key is not null;

    public string Hash(string canonical)
    {
        var bytes = Encoding.UTF8.GetBytes(canonical);
        return Convert.ToHexStringLower(key is null ? SHA256.HashData(bytes) : HMACSHA256.HashData(key, bytes));
    }

    /// <summary>Seal of a day's head row (so a head rewritten to hide removed tail records is detected when keyed).</summary>
    public string HeadSeal(string day, long seq, string hash) => Hash($"[\"head\",\"{day}\",{seq},\"{hash}\"]");
}
