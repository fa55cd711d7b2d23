using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace IdpServerless.Tests.Events;

/// <summary>A received mail: envelope and raw DATA.</summary>
public sealed record ReceivedMail(string From, IReadOnlyList<string> To, string Data);

/// <summary>A minimal SMTP server (RFC 5321 replies) on a loopback port, recording what it is sent. No TLS offered.</summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SmtpSink()
    {
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<ReceivedMail> Mails { get; } = new();

    public ConcurrentQueue<string> Commands { get; } = new();

    /// <summary>When set, the reply to RCPT TO for that recipient (e.g. "550 5.1.1 No such user"), instead of 250.</summary>
    public Func<string, string?> RecipientReply { get; set; } = _ => null;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.UTF8);
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 sink.local ESMTP ready");
        string? from = null;
        var to = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            Commands.Enqueue(line);
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await writer.WriteLineAsync("250-sink.local greets you");
                    await writer.WriteLineAsync("250-8BITMIME");
                    await writer.WriteLineAsync("250 SIZE 10485760");
                    break;
                case "MAIL":
                    from = line[(line.IndexOf('<', StringComparison.Ordinal) + 1)..line.IndexOf('>', StringComparison.Ordinal)];
                    await writer.WriteLineAsync("250 2.1.0 Ok");
                    break;
                case "RCPT":
                    var recipient = line[(line.IndexOf('<', StringComparison.Ordinal) + 1)..line.IndexOf('>', StringComparison.Ordinal)];
                    if (RecipientReply(recipient) is { } refusal)
                    {
                        await writer.WriteLineAsync(refusal);
                        break;
                    }

                    to.Add(recipient);
                    await writer.WriteLineAsync("250 2.1.5 Ok");
                    break;
                case "RSET":
                    from = null;
                    to.Clear();
                    await writer.WriteLineAsync("250 2.0.0 Ok");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync() is { } d && d != ".")
                    {
                        data.Append(d.StartsWith("..", StringComparison.Ordinal) ? d[1..] : d).Append("\r\n");
                    }

                    Mails.Enqueue(new ReceivedMail(from ?? string.Empty, [.. to], data.ToString()));
                    await writer.WriteLineAsync("250 2.0.0 Ok: queued");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 2.0.0 Bye");
                    return;
                default:
                    await writer.WriteLineAsync("502 5.5.2 Command not recognized");
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
