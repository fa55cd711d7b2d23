using System.Security.Cryptography;
using System.Text;
using IdpServerless.Functions.Secrets;
using IdpServerless.Hosting.Features;

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

    /// <summary>Start-up check: without a key the chain is unkeyed; a key reference that cannot resolve stops audit writes.</summary>
    public static IEnumerable<FeatureOff> FeaturesOff(IConfiguration configuration)
    {
        var setting = configuration["IDP_AUDIT_KEY"];
        if (string.IsNullOrEmpty(setting))
        {
            yield return new FeatureOff("Keyed audit hash chain",
                "records are chained with plain SHA-256, which shows edits and deletions but not a consistent rewrite by someone who can write to storage.", ["IDP_AUDIT_KEY"]);
        }
        else if (SecretReference.LooksLikeReference(setting) && SecretSettings.Lacking(configuration, setting, "IDP_AUDIT_KEY") is { } gap)
        {
            yield return new FeatureOff("Audit log", "the chain's key cannot be resolved, so no audit record can be written: " + gap.Reason, gap.Settings);
        }
    }

    /// <summary>Seal of a day's head row (so a head rewritten to hide removed tail records is detected when keyed).</summary>
    public string HeadSeal(string day, long seq, string hash) => Hash($"[\"head\",\"{day}\",{seq},\"{hash}\"]");
}
