using System.Text;
using System.Text.Json;

namespace IdpServerless.Functions.Identity.Authentication;

/// <summary>
/// Static Web Apps' <c>x-ms-client-principal</c> header: base64 JSON <c>{identityProvider, userId, userDetails,
/// userRoles, claims}</c>, added by SWA to requests it proxies to a linked backend. Trusted only when
/// <c>IDP_TRUST_SWA_PRINCIPAL=true</c>, which is safe only when nothing but SWA can reach the backend.
/// </summary>
public static class SwaClientPrincipal
{
    public const string Header = "x-ms-client-principal";

    /// <summary>The sign-in names the principal carries, or null when the header is malformed or not signed in.</summary>
    public static IReadOnlyList<string>? ReadIdentifiers(string headerValue)
    {
        if (headerValue.Length > 32 * 1024)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(headerValue)));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("userRoles", out var roles) || roles.ValueKind != JsonValueKind.Array ||
                !roles.EnumerateArray().Any(r => r.ValueKind == JsonValueKind.String && r.GetString() == "authenticated"))
            {
                return null;
            }

            var ids = new List<string>();
            if (root.TryGetProperty("userDetails", out var details) && details.ValueKind == JsonValueKind.String)
            {
                ids.Add(details.GetString()!);
            }

            if (root.TryGetProperty("claims", out var claims) && claims.ValueKind == JsonValueKind.Array)
            {
                foreach (var c in claims.EnumerateArray())
                {
                    if (c.ValueKind == JsonValueKind.Object &&
                        c.TryGetProperty("typ", out var typ) && typ.ValueKind == JsonValueKind.String &&
                        UserMapper.IdentifierClaims.Contains(typ.GetString()) &&
                        c.TryGetProperty("val", out var val) && val.ValueKind == JsonValueKind.String)
                    {
                        ids.Add(val.GetString()!);
                    }
                }
            }

            return ids;
        }
        catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException)
        {
            return null;
        }
    }
}
