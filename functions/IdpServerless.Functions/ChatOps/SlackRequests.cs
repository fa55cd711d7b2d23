using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Problems;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.ChatOps;

/// <summary>Settings under <c>ChatOps</c>.</summary>
public sealed class ChatOpsOptions
{
    public const string Section = "ChatOps";

    /// <summary>Secret reference to the Slack app's signing secret.</summary>
    public string SigningSecretRef { get; set; } = "local:slack-signing-secret";

    /// <summary>How old a signed request may be (Slack recommends 5 minutes).</summary>
    public TimeSpan ReplayWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Comma-separated prefixes a <c>response_url</c> must start with (keeps the app from posting anywhere else).</summary>
    public string ResponseUrlPrefixes { get; set; } = "https://hooks.slack.com/";

    public bool ResponseUrlAllowed(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out _) &&
        ResponseUrlPrefixes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Any(p => url!.StartsWith(p, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A verified slash command or button press, queued on <c>chatops</c> for <see cref="RunChatCommand"/>.</summary>
public sealed record ChatRequest(string Kind, string Text, string SlackUserId, string? SlackUserName, string ResponseUrl, string? TeamId, string? ChannelId, DateTimeOffset ReceivedAt)
{
    public const string QueueName = "chatops";
    public const string Command = "command";
    public const string Action = "action";

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    public static ChatRequest Parse(string json) =>
        JsonSerializer.Deserialize<ChatRequest>(json, JsonSerializerOptions.Web) ?? throw new JsonException("The chat request is empty.");
}

/// <summary>
/// Slack's request signing (v0): <c>X-Slack-Signature = v0=hex(HMAC-SHA256(signing secret, "v0:{X-Slack-Request-Timestamp}:{raw body}"))</c>,
/// compared in constant time; a timestamp outside the replay window is refused like a bad signature.
/// </summary>
public sealed class SlackRequestVerifier(IOptions<ChatOpsOptions> options, ISecretReferences secrets, TimeProvider time)
{
    public async Task<byte[]> ReadVerifiedBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        var body = buffer.ToArray();
        var signature = request.Headers["X-Slack-Signature"].ToString();
        var timestamp = request.Headers["X-Slack-Request-Timestamp"].ToString();
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(timestamp))
        {
            throw Unauthenticated("The request is not signed: X-Slack-Signature and X-Slack-Request-Timestamp are required.");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ||
            Math.Abs(time.GetUtcNow().ToUnixTimeSeconds() - seconds) > options.Value.ReplayWindow.TotalSeconds)
        {
            throw Unauthenticated("X-Slack-Request-Timestamp is outside the replay window.");
        }

        var secret = await secrets.RevealAsync(options.Value.SigningSecretRef, ct);
        var expected = Encoding.ASCII.GetBytes("v0=" + WebhookSignatures.HmacHex(secret, [.. Encoding.UTF8.GetBytes($"v0:{timestamp}:"), .. body]));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature)))
        {
            throw Unauthenticated("X-Slack-Signature does not match the request.");
        }

        return body;
    }

    private static ProblemException Unauthenticated(string detail) =>
        new(StatusCodes.Status401Unauthorized, ProblemTypes.Unauthenticated, "The Slack signature is missing, wrong or stale.", detail);
}
