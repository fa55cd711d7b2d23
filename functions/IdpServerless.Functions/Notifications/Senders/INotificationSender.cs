using System.Net;

namespace IdpServerless.Functions.Notifications.Senders;

/// <summary>Delivers one rendered notification to one kind of channel. Throws <see cref="DeliveryFailedException"/> or <see cref="HttpRequestException"/> on failure.</summary>
public interface INotificationSender
{
    string ChannelType { get; }

    Task SendAsync(DeliveryMessage delivery, RenderedNotification message, CancellationToken cancellationToken);
}

/// <summary>A delivery failed. <see cref="Permanent"/>: retrying cannot help (bad address, revoked token) and it is poisoned at once.</summary>
public sealed class DeliveryFailedException(string reason, bool permanent) : Exception(reason)
{
    public bool Permanent { get; } = permanent;
}

/// <summary>The name of the <see cref="IHttpClientFactory"/> client all senders share, and the common status mapping.</summary>
public static class NotificationHttp
{
    public const string ClientName = "notifications";

    /// <summary>2xx passes; 408, 425, 429 and 5xx are transient; any other status is permanent. Response bodies are not echoed (they may quote secrets).</summary>
    public static void EnsureDelivered(HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            return;
        }

        var transient = status is 408 or 425 or 429 or >= 500;
        throw new DeliveryFailedException($"{what} answered {status} {response.StatusCode}.", !transient);
    }

    public static bool IsTransient(HttpStatusCode status) => (int)status is 408 or 425 or 429 or >= 500;
}
