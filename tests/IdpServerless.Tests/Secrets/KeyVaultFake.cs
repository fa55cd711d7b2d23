using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using IdpServerless.Functions.Secrets.Providers;
using IdpServerless.Tests.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Secrets;

/// <summary>
/// Azure Key Vault's secrets API on loopback over TLS, in its documented shapes: a request without a bearer token gets
/// the 401 challenge (<c>WWW-Authenticate: Bearer authorization="…/{tenant}", resource="https://vault.azure.net"</c>),
/// secrets come as <c>{value, id, attributes}</c>, errors as <c>{error: {code, message}}</c> (SecretNotFound, Forbidden,
/// Throttled with Retry-After). The vault is named <c>https://idp-test.vault.azure.net:{port}</c>, as a real vault is,
/// so the SDK's check that the challenge's resource belongs to the vault's domain runs as in Azure: <see cref="UseIn"/>
/// points the app's <c>keyvault</c> HTTP client at loopback and trusts exactly this fake's certificate.
/// </summary>
public sealed class KeyVaultFake : IAsyncDisposable
{
    public const string Host = "idp-test.vault.azure.net";
    public const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    public const string ErrorMessageText = "Caller is not authorized to perform action on resource";

    private readonly FakeServer _server;
    private readonly X509Certificate2 _certificate;
    private int _disposed;

    private KeyVaultFake(FakeServer server, X509Certificate2 certificate)
    {
        _server = server;
        _certificate = certificate;
    }

    /// <summary>Every request: secret name, Authorization header ("" when none), api-version.</summary>
    public ConcurrentQueue<(string Name, string Authorization, string ApiVersion)> Requests { get; } = new();

    public string Url => $"https://{Host}:{_server.BaseAddress.Port}";

    /// <param name="secrets">name → value served to the bearer token <paramref name="acceptedToken"/>.</param>
    /// <param name="challengeResource">the resource the 401 challenge names (Key Vault's is https://vault.azure.net).</param>
    public static async Task<KeyVaultFake> StartAsync(IReadOnlyDictionary<string, string> secrets, string acceptedToken = "mi-token", string challengeResource = "https://vault.azure.net")
    {
        var certificate = CreateCertificate();
        KeyVaultFake? fake = null;
        var tries = new ConcurrentDictionary<string, int>();
        var server = await FakeServer.StartAsync(app => app.MapGet("/secrets/{name}", async (string name, HttpContext context) =>
        {
            var r = context.Request;
            fake!.Requests.Enqueue((name, r.Headers.Authorization.ToString(), r.Query["api-version"].ToString()));
            if (r.Headers.Authorization != "Bearer " + acceptedToken)
            {
                context.Response.Headers.WWWAuthenticate = $"Bearer authorization=\"https://login.microsoftonline.com/{Tenant}\", resource=\"{challengeResource}\"";
                return Error(401, "Unauthorized", r.Headers.Authorization.Count == 0 ? "AKV10000: Request is missing a Bearer or PoP token." : "AKV10032: Invalid issuer.");
            }

            var attempt = tries.AddOrUpdate(name, 1, (_, n) => n + 1);
            switch (name)
            {
                case "forbidden-db":
                    return Error(403, "Forbidden", ErrorMessageText + ".\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.");
                case "throttled-db":
                    context.Response.Headers.RetryAfter = "120";
                    return Error(429, "Throttled", "Request was not processed because too many requests were received. Reason: A maximum of 4000 transactions in 10 seconds are allowed.");
                case "busy-db" when attempt == 1:
                    context.Response.Headers.RetryAfter = "0";
                    return Error(429, "Throttled", "Request was not processed because too many requests were received.");
                case "slow-db":
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    return Results.Empty;
            }

            var value = name == "busy-db" ? secrets["payments-db"] : secrets.GetValueOrDefault(name);
            return value is null
                ? Error(404, "SecretNotFound", $"A secret with (name/id) {name} was not found in this key vault.")
                : Results.Json(new
                {
                    value,
                    id = $"{fake.Url}/secrets/{name}/4387e9f3d6e14c459867679a90fd0f79",
                    attributes = new { enabled = true, created = 1493938410, updated = 1493938410, recoveryLevel = "Recoverable+Purgeable" },
                    tags = new { },
                });
        }), certificate);
        fake = new KeyVaultFake(server, certificate);
        return fake;
    }

    /// <summary>The app's <c>keyvault</c> client connects to this fake and trusts its certificate, and only that.</summary>
    public void UseIn(IServiceCollection services)
    {
        var port = _server.BaseAddress.Port;
        var pinned = _certificate.RawData;
        services.AddHttpClient(KeyVaultSecretProvider.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                // The name must match; the chain is untrusted (self-signed), so trust is the certificate itself.
                RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                    (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && cert is not null && cert.GetRawCertData().AsSpan().SequenceEqual(pinned),
            },
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _server.DisposeAsync();
        _certificate.Dispose();
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new { error = new { code, message } }, statusCode: status);

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={Host}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(Host);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}

/// <summary>The app's Entra ID credential: answers with <paramref name="token"/> (or fails) and records what it was asked.</summary>
public sealed class FakeTokenCredential(string token, bool fail = false) : TokenCredential
{
    public ConcurrentQueue<TokenRequestContext> Requests { get; } = new();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Requests.Enqueue(requestContext);
        return fail
            ? throw new Azure.Identity.AuthenticationFailedException("ManagedIdentityCredential authentication failed: no managed identity endpoint.")
            : new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
