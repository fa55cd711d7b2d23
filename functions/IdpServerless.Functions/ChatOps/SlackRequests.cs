using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IdpServerless.Functions.Secrets;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Features;
using IdpServerless.Hosting.Problems;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.ChatOps;

/// <summary>Settings under <c>ChatOps</c>.</summary>
public sealed class ChatOpsOptions
{
    public const string Section = "ChatOps";

    /// <summary>The setting that holds <see cref="SigningSecretRef"/>, as operators write it.</summary>
    public const string SigningSecretSetting = "ChatOps__SigningSecretRef";

    /// <summary>What ChatOps is called in start-up checks and 503 answers.</summary>
    public const string Feature = "ChatOps (Slack commands and buttons)";

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
/// compared in constant time; a timestamp outside the replay window is refused like a bad signature. Without a signing
/// secret nothing can be verified: every request is refused with 503 naming the setting to set, before anything else.
/// </summary>
public sealed partial class SlackRequestVerifier(IOptions<ChatOpsOptions> options, ISecretReferences secrets, IConfiguration configuration, TimeProvider time,
    ILogger<SlackRequestVerifier> logger)
{
    public async Task<byte[]> ReadVerifiedBodyAsync(HttpRequest request, CancellationToken ct)
    {
        var secret = await SigningSecretAsync(ct);
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

        var expected = Encoding.ASCII.GetBytes("v0=" + WebhookSignatures.HmacHex(secret, [.. Encoding.UTF8.GetBytes($"v0:{timestamp}:"), .. body]));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature)))
        {
            throw Unauthenticated("X-Slack-Signature does not match the request.");
        }

        return body;
    }

    /// <summary>What is off when the signing secret's reference cannot resolve for lack of settings (null: nothing).</summary>
    public static FeatureOff? CheckSettings(IConfiguration configuration, ChatOpsOptions options) =>
        SecretSettings.Lacking(configuration, options.SigningSecretRef, ChatOpsOptions.SigningSecretSetting) is { } gap
            ? new FeatureOff(ChatOpsOptions.Feature, "Slack requests cannot be verified without the signing secret: " + gap.Reason, gap.Settings)
            : null;

    private async Task<string> SigningSecretAsync(CancellationToken ct)
    {
        if (CheckSettings(configuration, options.Value) is { } off)
        {
            LogNotConfigured(logger, off.Reason);
            throw ProblemException.NotConfigured(ChatOpsOptions.Feature, off.Reason, off.Settings);
        }

        try
        {
            return await secrets.RevealAsync(options.Value.SigningSecretRef.Trim(), ct);
        }
        catch (SecretUnavailableException e)
        {
            LogSecretUnavailable(logger, e.Message);
            throw new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "The Slack signing secret cannot be read right now.",
                "Its secret store did not give the value; try again shortly.");
        }
    }

    private static ProblemException Unauthenticated(string detail) =>
        new(StatusCodes.Status401Unauthorized, ProblemTypes.Unauthenticated, "The Slack signature is missing, wrong or stale.", detail);

    [LoggerMessage(EventId = 8301, Level = LogLevel.Warning, Message = "Refused a Slack request: ChatOps is not configured. {Reason}")]
    private static partial void LogNotConfigured(ILogger logger, string reason);

    [LoggerMessage(EventId = 8302, Level = LogLevel.Warning, Message = "Refused a Slack request: {Reason}")]
    private static partial void LogSecretUnavailable(ILogger logger, string reason);
}
