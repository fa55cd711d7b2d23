using System.Text;
using System.Text.Json;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Problems;
using IdpServerless.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace IdpServerless.Functions.Webhooks;

/// <summary>What the intake answers.</summary>
public sealed record WebhookReceipt(string DeliveryId, string Event, bool Duplicate, bool Queued, string? Note = null);

/// <summary>
/// The HTTP side of a webhook: read the raw body, verify the provider's signature in constant time, deduplicate by
/// delivery id (an atomic Table insert: whoever inserts first owns the delivery), put it on the <c>webhooks</c> queue
/// and answer 202. Nothing else happens on the request path, so the provider gets its answer in milliseconds.
/// </summary>
public sealed partial class ReceiveWebhook(
    WebhookSecrets secrets,
    StorageOnce storage,
    QueueWakeup wakeup,
    TimeProvider time,
    IConfiguration configuration,
    ILogger<ReceiveWebhook> logger)
{
    public const string DeliveriesTable = "webhookdeliveries";
    public const long DefaultMaxPayloadBytes = 25 * 1024 * 1024;

    private static readonly HashSet<string> GitHubEvents = new(StringComparer.Ordinal)
    {
        "push", "pull_request", "release", "package", "registry_package", "workflow_run",
    };

    private static readonly HashSet<string> GitLabEvents = new(StringComparer.Ordinal)
    {
        "push", "tag_push", "merge_request", "pipeline",
    };

    public async Task<IResult> GitHubAsync(HttpContext http, CancellationToken ct)
    {
        EnsureConfigured(GitHosts.GitHub);
        var body = await ReadBodyAsync(http, ct);
        var signature = http.Request.Headers["X-Hub-Signature-256"].ToString();
        if (string.IsNullOrEmpty(signature))
        {
            throw Unauthenticated("The delivery is not signed: X-Hub-Signature-256 is missing.");
        }

        var payload = TryReadPayload(http.Request.ContentType, body);
        var repository = payload is { } p ? Text(p, "repository", "full_name") : null;
        var secret = await secrets.FindAsync(GitHosts.GitHub, repository, ct);
        if (secret is null || !WebhookSignatures.GitHubValid(secret, body, signature))
        {
            LogRejected(logger, GitHosts.GitHub, repository ?? "(unknown)", secret is null ? "no secret configured" : "signature mismatch");
            throw Unauthenticated("The X-Hub-Signature-256 signature does not match this delivery.");
        }

        var eventName = Required(http, "X-GitHub-Event");
        var deliveryId = Required(http, "X-GitHub-Delivery");
        var json = payload ?? throw ProblemException.BadRequest("body", "is not a JSON webhook payload.");
        if (eventName == "ping")
        {
            return Results.Ok(new WebhookReceipt(deliveryId, eventName, false, false, "pong"));
        }

        return await AcceptAsync(GitHosts.GitHub, eventName, deliveryId, repository, json, GitHubEvents.Contains(eventName), ct);
    }

    public async Task<IResult> GitLabAsync(HttpContext http, CancellationToken ct)
    {
        EnsureConfigured(GitHosts.GitLab);
        var body = await ReadBodyAsync(http, ct);
        var token = http.Request.Headers["X-Gitlab-Token"].ToString();
        if (string.IsNullOrEmpty(token))
        {
            throw Unauthenticated("The delivery carries no X-Gitlab-Token.");
        }

        var payload = TryReadPayload("application/json", body);
        var repository = payload is { } p ? Text(p, "project", "path_with_namespace") : null;
        var secret = await secrets.FindAsync(GitHosts.GitLab, repository, ct);
        if (secret is null || !WebhookSignatures.GitLabValid(secret, token))
        {
            LogRejected(logger, GitHosts.GitLab, repository ?? "(unknown)", secret is null ? "no secret configured" : "token mismatch");
            throw Unauthenticated("The X-Gitlab-Token does not match this project's webhook secret.");
        }

        _ = Required(http, "X-Gitlab-Event");
        var deliveryId = FirstHeader(http, "Idempotency-Key", "X-Gitlab-Event-UUID")
                         ?? throw ProblemException.BadRequest("X-Gitlab-Event-UUID", "is required to deduplicate deliveries.");
        var json = payload ?? throw ProblemException.BadRequest("body", "is not a JSON webhook payload.");
        var kind = Text(json, "object_kind") ?? throw ProblemException.BadRequest("object_kind", "is missing from the payload.");
        return await AcceptAsync(GitHosts.GitLab, kind, deliveryId, repository, json, GitLabEvents.Contains(kind), ct);
    }

    private async Task<IResult> AcceptAsync(string provider, string eventName, string deliveryId, string? repository, JsonElement payload, bool handled, CancellationToken ct)
    {
        if (deliveryId.Length > 200 || deliveryId.Any(char.IsControl))
        {
            throw ProblemException.BadRequest("deliveryId", "must be at most 200 printable characters.");
        }

        if (!handled)
        {
            return Results.Accepted(value: new WebhookReceipt(deliveryId, eventName, false, false, "event type not handled"));
        }

        var deliveries = await storage.TableAsync(DeliveriesTable, ct);
        var row = new TableEntity(provider, TableKeys.Escape(deliveryId))
        {
            ["Event"] = eventName,
            ["Repository"] = repository,
            ["ReceivedAt"] = time.GetUtcNow(),
        };
        try
        {
            await deliveries.AddEntityAsync(row, ct);
        }
        catch (StorageConflictException)
        {
            LogDuplicate(logger, provider, deliveryId);
            return Results.Ok(new WebhookReceipt(deliveryId, eventName, true, false));
        }

        try
        {
            var queue = await storage.QueueAsync(WebhookEnvelope.QueueName, ct);
            var envelope = new WebhookEnvelope(provider, eventName, deliveryId, repository, time.GetUtcNow(), payload);
            await queue.SendAsync(envelope.ToJson(), timeToLive: TimeSpan.FromSeconds(-1), ct: ct);
        }
        catch
        {
            // Not queued: forget the delivery id so the provider's redelivery is not mistaken for a duplicate.
            await deliveries.DeleteEntityAsync(row.PartitionKey, row.RowKey, ct: CancellationToken.None);
            throw;
        }

        wakeup.Notify(WebhookEnvelope.QueueName);
        LogAccepted(logger, provider, eventName, deliveryId, repository ?? "(none)");
        return Results.Accepted(value: new WebhookReceipt(deliveryId, eventName, false, true));
    }

    private void EnsureConfigured(string provider)
    {
        try
        {
            secrets.EnsureConfigured(provider);
        }
        catch (ProblemException e)
        {
            LogRejected(logger, provider, "(any)", e.Detail ?? e.Title);
            throw;
        }
    }

    private async Task<byte[]> ReadBodyAsync(HttpContext http, CancellationToken ct)
    {
        var max = MaxPayloadBytes(configuration);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = max;
        }

        if (http.Request.ContentLength > max)
        {
            throw ProblemException.TooLarge($"Webhook payloads are limited to {max} bytes.");
        }

        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        return buffer.Length > max ? throw ProblemException.TooLarge($"Webhook payloads are limited to {max} bytes.") : buffer.ToArray();
    }

    /// <summary>The largest payload accepted (<c>Webhooks:MaxPayloadBytes</c>, default GitHub's own cap).</summary>
    public static long MaxPayloadBytes(IConfiguration configuration) =>
        long.TryParse(configuration["Webhooks:MaxPayloadBytes"], out var m) && m > 0 ? m : DefaultMaxPayloadBytes;

    /// <summary>The JSON payload: the body itself, or GitHub's form encoding (<c>payload=...</c>); null when neither parses.</summary>
    private static JsonElement? TryReadPayload(string? contentType, byte[] body)
    {
        try
        {
            if (contentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
            {
                var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
                return form.TryGetValue("payload", out var p) ? JsonDocument.Parse(p.ToString()).RootElement.Clone() : null;
            }

            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement element, params string[] path)
    {
        foreach (var p in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(p, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }

    private static string Required(HttpContext http, string header) =>
        FirstHeader(http, header) ?? throw ProblemException.BadRequest(header, "header is required.");

    private static string? FirstHeader(HttpContext http, params string[] headers) =>
        headers.Select(h => http.Request.Headers[h].ToString()).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();

    private static ProblemException Unauthenticated(string detail) =>
        new(StatusCodes.Status401Unauthorized, ProblemTypes.Unauthenticated, "The webhook signature is missing or wrong.", detail);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Accepted {Provider} {Event} delivery {DeliveryId} for {Repository}")]
    private static partial void LogAccepted(ILogger logger, string provider, string @event, string deliveryId, string repository);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Ignored duplicate {Provider} delivery {DeliveryId}")]
    private static partial void LogDuplicate(ILogger logger, string provider, string deliveryId);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "Rejected a {Provider} delivery for {Repository}: {Why}")]
    private static partial void LogRejected(ILogger logger, string provider, string repository, string why);
}
