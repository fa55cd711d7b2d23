using System.Net;

namespace IdpServerless.Functions.Identity.Hardening;

/// <summary>
/// The caller's network address for rate limits and the audit log. Standalone, it is the connection's peer. Under the
/// Functions host every request comes from loopback, so the address is the last non-loopback entry of
/// <c>X-Forwarded-For</c> (the one the platform's front end added; earlier entries are the client's own claims).
/// </summary>
public sealed class ClientAddress(IdentityOptions options)
{
    public string Of(HttpContext context)
    {
        if (options.BehindFunctionsHost && context.Request.Headers["X-Forwarded-For"].ToString() is { Length: > 0 } forwarded)
        {
            foreach (var part in forwarded.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse())
            {
                if (Parse(part) is { } ip && !IPAddress.IsLoopback(ip))
                {
                    return ip.ToString();
                }
            }
        }

        var remote = context.Connection.RemoteIpAddress;
        return remote is null ? "unknown" : (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString();
    }

    private static IPAddress? Parse(string s) =>
        IPAddress.TryParse(s, out var ip) ? ip : IPEndPoint.TryParse(s, out var ep) ? ep.Address : null;
}
