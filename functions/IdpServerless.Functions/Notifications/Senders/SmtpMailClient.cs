using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace IdpServerless.Functions.Notifications.Senders;

/// <summary>A mail to send: plain text, UTF-8.</summary>
public sealed record MailMessage(string From, IReadOnlyList<string> To, string Subject, string Body);

/// <summary>
/// A small SMTP client (RFC 5321) over <see cref="TcpClient"/>, standing in for MailKit, which cannot be restored here:
/// EHLO, optional STARTTLS, optional AUTH PLAIN, MAIL/RCPT/DATA with dot-stuffing, QUIT. 4xx replies are transient
/// failures, 5xx permanent ones.
/// </summary>
public sealed class SmtpMailClient(SmtpOptions options, TimeProvider time)
{
    public async Task SendAsync(MailMessage mail, string? password, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            throw new DeliveryFailedException("No SMTP relay is configured (Notifications__Smtp__Host).", permanent: true);
        }

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(options.Host, options.Port, ct);
        Stream stream = tcp.GetStream();
        var session = new Session(stream);
        await session.ExpectAsync(220, ct);
        var capabilities = await session.CommandAsync("EHLO idpserverless", 250, ct);
        if (options.StartTls && capabilities.Any(c => c.StartsWith("STARTTLS", StringComparison.OrdinalIgnoreCase)))
        {
            await session.CommandAsync("STARTTLS", 220, ct);
            var tls = new SslStream(stream, leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = options.Host }, ct);
            session = new Session(tls);
            capabilities = await session.CommandAsync("EHLO idpserverless", 250, ct);
        }
        else if (options.RequireTls)
        {
            throw new DeliveryFailedException("The SMTP relay does not offer STARTTLS and TLS is required.", permanent: true);
        }

        if (!string.IsNullOrEmpty(options.UserName))
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{options.UserName}\0{password}"));
            await session.CommandAsync("AUTH PLAIN " + token, 235, ct, redact: true);
        }

        await session.CommandAsync($"MAIL FROM:<{Address(mail.From)}>", 250, ct);
        foreach (var to in mail.To)
        {
            await session.CommandAsync($"RCPT TO:<{Address(to)}>", 250, ct);
        }

        await session.CommandAsync("DATA", 354, ct);
        await session.WriteRawAsync(Compose(mail) + ".\r\n", ct);
        await session.ExpectAsync(250, ct);
        await session.CommandAsync("QUIT", 221, ct);
    }

    private string Compose(MailMessage mail)
    {
        var body = Convert.ToBase64String(Encoding.UTF8.GetBytes(mail.Body.ReplaceLineEndings("\r\n")));
        var sb = new StringBuilder()
            .Append("From: <").Append(Address(mail.From)).Append(">\r\n")
            .Append("To: ").Append(string.Join(", ", mail.To.Select(t => $"<{Address(t)}>"))).Append("\r\n")
            .Append("Subject: =?utf-8?B?").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(OneLine(mail.Subject)))).Append("?=\r\n")
            .Append("Date: ").Append(time.GetUtcNow().ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Message-ID: <").Append(Guid.NewGuid().ToString("N")).Append("@idpserverless>\r\n")
            .Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        for (var i = 0; i < body.Length; i += 76)
        {
            sb.Append(body, i, Math.Min(76, body.Length - i)).Append("\r\n");
        }

        return sb.ToString(); // base64 lines never start with '.', so no dot-stuffing is needed
    }

    /// <summary>A bare address; anything that could inject SMTP commands or headers is refused.</summary>
    public static string Address(string address)
    {
        var a = address.Trim();
        var at = a.IndexOf('@', StringComparison.Ordinal);
        if (a.Length is 0 or > 254 || at <= 0 || at == a.Length - 1 || a.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or ',' or ';' or '"'))
        {
            throw new DeliveryFailedException($"'{OneLine(address)}' is not an e-mail address.", permanent: true);
        }

        return a;
    }

    private static string OneLine(string text) => text.Replace('\r', ' ').Replace('\n', ' ');

    private sealed class Session(Stream stream)
    {
        private readonly StreamReader _reader = new(stream, new UTF8Encoding(false), false, 1024, leaveOpen: true);

        public async Task<List<string>> CommandAsync(string command, int expected, CancellationToken ct, bool redact = false)
        {
            await WriteRawAsync(command + "\r\n", ct);
            return await ExpectAsync(expected, ct, redact ? command.Split(' ')[0] + " ..." : command);
        }

        public async Task WriteRawAsync(string text, CancellationToken ct)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
            await stream.FlushAsync(ct);
        }

        public async Task<List<string>> ExpectAsync(int expected, CancellationToken ct, string? after = null)
        {
            var lines = new List<string>();
            while (true)
            {
                var line = await _reader.ReadLineAsync(ct) ?? throw new IOException("The SMTP server closed the connection.");
                if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
                {
                    throw new IOException("The SMTP server sent a malformed reply.");
                }

                lines.Add(line.Length > 4 ? line[4..] : string.Empty);
                if (line.Length > 3 && line[3] == '-')
                {
                    continue;
                }

                if (code != expected)
                {
                    var what = after is null ? "the greeting" : after;
                    throw new DeliveryFailedException($"SMTP answered {code} to {what}: {line[Math.Min(4, line.Length)..]}", permanent: code >= 500);
                }

                return lines;
            }
        }
    }
}
