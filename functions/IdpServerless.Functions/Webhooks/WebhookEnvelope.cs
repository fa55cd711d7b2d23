using System.Text.Json;

namespace IdpServerless.Functions.Webhooks;

/// <summary>Git hosts we take webhooks from.</summary>
public static class GitHosts
{
    public const string GitHub = "github";
    public const string GitLab = "gitlab";
}

/// <summary>
/// What the intake puts on the <c>webhooks</c> queue once a delivery is verified and new: the provider's payload as it
/// came (large ones travel through the storage client's blob offload), plus the headers processing needs.
/// </summary>
public sealed record WebhookEnvelope(
    string Provider,
    string Event,
    string DeliveryId,
    string? Repository,
    DateTimeOffset ReceivedAt,
    JsonElement Payload)
{
    public const string QueueName = "webhooks";

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    public static WebhookEnvelope Parse(string json) =>
        JsonSerializer.Deserialize<WebhookEnvelope>(json, JsonSerializerOptions.Web)
        ?? throw new JsonException("The webhook message is empty.");
}
