using IdpServerless.Functions.Webhooks;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Notifications.Senders;

/// <summary>E-mail through the configured SMTP relay (<c>Notifications__Smtp__*</c>; password by reference).</summary>
public sealed class EmailSender(IOptions<NotificationOptions> options, ISecretReferences secrets, TimeProvider time) : INotificationSender
{
    public string ChannelType => ChannelTypes.Email;

    public async Task SendAsync(DeliveryMessage delivery, RenderedNotification message, CancellationToken ct)
    {
        var smtp = options.Value.Smtp;
        var password = smtp.PasswordRef is { Length: > 0 } r ? await secrets.RevealAsync(r, ct) : null;
        var client = new SmtpMailClient(smtp, time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await client.SendAsync(new MailMessage(smtp.From, delivery.Channel.To ?? [], message.Title, message.Text), password, timeout.Token);
    }
}
