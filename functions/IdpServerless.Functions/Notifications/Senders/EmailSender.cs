using IdpServerless.Functions.Webhooks;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace IdpServerless.Functions.Notifications.Senders;

/// <summary>
/// E-mail through the configured SMTP relay (<c>Notifications__Smtp__*</c>; password by reference) with MailKit: TLS as
/// configured (STARTTLS when offered, required, or implicit TLS on port 465), every SASL mechanism the relay offers,
/// proper MIME. A 5xx reply or a refused login is permanent; 4xx, lost connections and timeouts are tried again.
/// </summary>
public sealed class EmailSender(IOptions<NotificationOptions> options, ISecretReferences secrets, TimeProvider time) : INotificationSender
{
    public string ChannelType => ChannelTypes.Email;

    public async Task SendAsync(DeliveryMessage delivery, RenderedNotification message, CancellationToken ct)
    {
        var smtp = options.Value.Smtp;
        if (string.IsNullOrWhiteSpace(smtp.Host))
        {
            throw new DeliveryFailedException("No SMTP relay is configured (Notifications__Smtp__Host).", permanent: true);
        }

        var password = smtp.PasswordRef is { Length: > 0 } r ? await secrets.RevealAsync(r, ct) : null;
        var mail = Compose(smtp.From, delivery.Channel.To ?? [], message.Title, message.Text);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var client = new SmtpClient { Timeout = 30_000 };
        try
        {
            await client.ConnectAsync(smtp.Host, smtp.Port, Security(smtp), timeout.Token);
            if (!string.IsNullOrEmpty(smtp.UserName))
            {
                await client.AuthenticateAsync(smtp.UserName, password ?? string.Empty, timeout.Token);
            }

            await client.SendAsync(mail, timeout.Token);
            await client.DisconnectAsync(quit: true, timeout.Token);
        }
        catch (SmtpCommandException e)
        {
            throw new DeliveryFailedException($"SMTP answered {(int)e.StatusCode} ({e.ErrorCode}): {OneLine(e.Message)}", permanent: (int)e.StatusCode >= 500);
        }
        catch (AuthenticationException e)
        {
            throw new DeliveryFailedException($"The SMTP relay refused the login of {smtp.UserName}: {OneLine(e.Message)}", permanent: true);
        }
        catch (NotSupportedException e)
        {
            // e.g. TLS required but STARTTLS not offered: a configuration problem that retrying will not fix.
            throw new DeliveryFailedException($"The SMTP relay cannot be used as configured: {OneLine(e.Message)}", permanent: true);
        }
        catch (Exception e) when (e is SmtpProtocolException or ServiceNotConnectedException or SslHandshakeException)
        {
            throw new DeliveryFailedException($"SMTP session failed: {OneLine(e.Message)}", permanent: false);
        }
    }

    private MimeMessage Compose(string from, IReadOnlyList<string> to, string subject, string body)
    {
        var mail = new MimeMessage { Subject = OneLine(subject), Date = time.GetUtcNow() };
        mail.From.Add(MailboxAddress.Parse(MailAddresses.Check(from)));
        foreach (var address in to)
        {
            mail.To.Add(MailboxAddress.Parse(MailAddresses.Check(address)));
        }

        mail.Body = new TextPart(MimeKit.Text.TextFormat.Plain) { Text = body };
        return mail;
    }

    private static SecureSocketOptions Security(SmtpOptions smtp) => (smtp.Port, smtp.StartTls, smtp.RequireTls) switch
    {
        (465, _, _) => SecureSocketOptions.SslOnConnect,
        (_, true, true) => SecureSocketOptions.StartTls,
        (_, true, false) => SecureSocketOptions.StartTlsWhenAvailable,
        (_, false, true) => SecureSocketOptions.StartTls,
        _ => SecureSocketOptions.None,
    };

    private static string OneLine(string text) => text.Replace('\r', ' ').Replace('\n', ' ');
}
