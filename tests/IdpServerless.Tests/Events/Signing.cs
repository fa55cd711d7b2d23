using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace IdpServerless.Tests.Events;

/// <summary>Signs requests the way each provider documents it (computed independently of the app's code).</summary>
public static class Signing
{
    public static string GitHub(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    public static string Slack(string secret, long timestamp, string body) =>
        "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes($"v0:{timestamp.ToString(CultureInfo.InvariantCulture)}:{body}")));

    public static HttpRequestMessage GitHubRequest(string body, string eventName, string deliveryId, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/github") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", deliveryId);
        request.Headers.Add("User-Agent", "GitHub-Hookshot/044aadd");
        if (signature is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", signature);
        }

        return request;
    }

    public static HttpRequestMessage GitLabRequest(string body, string eventHeader, string uuid, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/gitlab") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Gitlab-Event", eventHeader);
        request.Headers.Add("X-Gitlab-Event-UUID", uuid);
        request.Headers.Add("X-Gitlab-Instance", "https://gitlab.example.com");
        if (token is not null)
        {
            request.Headers.Add("X-Gitlab-Token", token);
        }

        return request;
    }

    public static HttpRequestMessage SlackRequest(string path, string secret, string form, long? timestamp = null, bool sign = true, string? overrideSignature = null)
    {
        var ts = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded") };
        if (sign)
        {
            request.Headers.Add("X-Slack-Request-Timestamp", ts.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("X-Slack-Signature", overrideSignature ?? Slack(secret, ts, form));
        }

        return request;
    }
}
