using System.Security.Claims;
using System.Security.Cryptography;
using IdpServerless.Hosting.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IdpServerless.Functions.Identity.Authentication;

/// <summary>
/// The local dev issuer: signs short-lived tokens for catalog users so the browser app's user picker and tests can
/// sign in without an identity provider. It exists only when <see cref="IdentityOptions.DevIssuerEnabled"/>; elsewhere
/// it holds no key, so its tokens cannot be issued or accepted. The RSA key lives in <c>IDP_DATA_DIR</c> when set (tokens
/// survive restarts) or only in this process.
/// </summary>
public sealed partial class DevIssuer
{
    public const string Issuer = "urn:idpserverless:dev-issuer";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);
    private const string KeyFileName = "dev-issuer-key.pem";

    private readonly RsaSecurityKey? _key;
    private readonly string _audience;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public DevIssuer(IdentityOptions options, TimeProvider time, ILogger<DevIssuer> logger)
    {
        _audience = options.DevAudience;
        _time = time;
        if (!options.DevIssuerEnabled)
        {
            return;
        }

        var rsa = RSA.Create(2048);
        if (options.DataDirectory is { } dir)
        {
            var path = Path.GetFullPath(Path.Combine(dir, KeyFileName));
            if (File.Exists(path))
            {
                rsa.ImportFromPem(File.ReadAllText(path));
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }
        }

        _key = new RsaSecurityKey(rsa);
        _key.KeyId = Base64UrlEncoder.Encode(_key.ComputeJwkThumbprint());
        LogEnabled(logger, options.DataDirectory is null ? "this process only" : "persisted in IDP_DATA_DIR");
    }

    public bool Enabled => _key is not null;

    /// <summary>A bearer token for <paramref name="user"/>; <see cref="InvalidOperationException"/> when the issuer is off.</summary>
    public string Issue(DirectoryUser user)
    {
        var key = _key ?? throw new InvalidOperationException("The local dev issuer is off.");
        var now = _time.GetUtcNow().UtcDateTime;
        var claims = new List<Claim> { new("sub", user.Ref), new(Caller.UserRefClaim, user.Ref), new("name", user.DisplayName ?? user.Ref) };
        if (user.Email is { Length: > 0 } email)
        {
            claims.Add(new Claim("email", email));
        }

        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = _audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>What the dev issuer's bearer scheme (JwtBearer) checks; <see cref="InvalidOperationException"/> when the issuer is off.</summary>
    public TokenValidationParameters ValidationParameters()
    {
        var key = _key ?? throw new InvalidOperationException("The local dev issuer is off.");
        return new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = _audience,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ClockSkew = TimeSpan.FromMinutes(1),
            LifetimeValidator = (notBefore, expires, _, p) =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                return (notBefore is null || notBefore <= now + p.ClockSkew) && expires is { } exp && exp >= now - p.ClockSkew;
            },
        };
    }

    /// <summary>Validates a token outside a request (benchmarks); requests go through the dev issuer's bearer scheme.</summary>
    public Task<TokenValidationResult> ValidateAsync(string token) => _handler.ValidateTokenAsync(token, ValidationParameters());

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "The local dev issuer is ON (IDP_MODE=local): anyone who can reach this app can sign in as any catalog user. Signing key: {KeyStorage}.")]
    private static partial void LogEnabled(ILogger logger, string keyStorage);
}
