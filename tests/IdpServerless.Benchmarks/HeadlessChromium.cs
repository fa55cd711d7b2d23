using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace IdpServerless.Benchmarks;

/// <summary>
/// Debian's Chromium, headless, driven over its DevTools protocol with nothing in between. The page-load benchmark
/// uses this rather than Playwright because Playwright enables the Network and Runtime domains on every page (and its
/// driver process handles each of their events): on this 2-core machine that instrumentation alone added 50-100 ms to
/// the p95 of a cold load, a cost no user's browser pays. Each <see cref="OpenTabAsync"/> has its own browser context
/// (an empty HTTP cache, like a first visit); a tab enables only the Page domain, for its load event and the one
/// script it adds to each new document.
/// </summary>
public sealed partial class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profileDir;
    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly ConcurrentDictionary<(string Method, string Session), TaskCompletionSource<JsonElement>> _events = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private int _nextId;

    private HeadlessChromium(Process process, string profileDir, ClientWebSocket socket)
    {
        _process = process;
        _profileDir = profileDir;
        _socket = socket;
        _receiving = Task.Run(ReceiveAsync);
    }

    public static async Task<HeadlessChromium> LaunchAsync(string executable = "/usr/bin/chromium")
    {
        var profileDir = Path.Combine(Path.GetTempPath(), "idp-bench-chromium-" + Guid.NewGuid().ToString("N"));
        var psi = new ProcessStartInfo(executable)
        {
            // The flags Playwright launched it with before, so figures stay comparable, plus a port for DevTools.
            ArgumentList =
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0",
                $"--user-data-dir={profileDir}", "about:blank",
            },
        };
        var (process, endpoint) = AnnouncingProcess.Start(psi, DevToolsListening());
        try
        {
            var url = await endpoint.WaitAsync(TimeSpan.FromSeconds(30));
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(url, CancellationToken.None);
            return new HeadlessChromium(process, profileDir, socket);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>A new tab in a new browser context (empty cache and storage) that runs <paramref name="initScript"/> first in every document.</summary>
    public async Task<Tab> OpenTabAsync(string initScript)
    {
        var context = (await SendAsync("Target.createBrowserContext")).GetProperty("browserContextId").GetString()!;
        var target = (await SendAsync("Target.createTarget", new { url = "about:blank", browserContextId = context })).GetProperty("targetId").GetString()!;
        var session = (await SendAsync("Target.attachToTarget", new { targetId = target, flatten = true })).GetProperty("sessionId").GetString()!;
        var tab = new Tab(this, context, session);
        await tab.SendAsync("Page.enable");
        await tab.SendAsync("Page.addScriptToEvaluateOnNewDocument", new { source = initScript });
        return tab;
    }

    private async Task<JsonElement> SendAsync(string method, object? parameters = null, string? session = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var message = new Dictionary<string, object> { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new { } };
        if (session is not null)
        {
            message["sessionId"] = session;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(message);
        await _sending.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            _sending.Release();
        }

        try
        {
            return await reply.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Chromium did not answer {method} within 60 s");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Registers for the next <paramref name="method"/> event of a session; call before the action that causes it.</summary>
    private Task<JsonElement> NextEvent(string method, string session)
    {
        var seen = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _events[(method, session)] = seen;
        return seen.Task;
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var part = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (part.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage)
                {
                    continue;
                }

                using (var doc = JsonDocument.Parse(message.GetBuffer().AsMemory(0, (int)message.Length)))
                {
                    Dispatch(doc.RootElement);
                }

                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // Closing, or Chromium went away: whoever still waits gets the reason below.
        }

        foreach (var waiting in _pending.Values)
        {
            waiting.TrySetException(new InvalidOperationException("the DevTools connection to Chromium closed"));
        }
    }

    private void Dispatch(JsonElement m)
    {
        if (m.TryGetProperty("id", out var id))
        {
            if (_pending.TryGetValue(id.GetInt32(), out var reply))
            {
                if (m.TryGetProperty("error", out var error))
                {
                    reply.TrySetException(new InvalidOperationException($"DevTools error: {error.GetRawText()}"));
                }
                else
                {
                    reply.TrySetResult(m.GetProperty("result").Clone());
                }
            }

            return;
        }

        if (m.TryGetProperty("method", out var method) && m.TryGetProperty("sessionId", out var session)
            && _events.TryRemove((method.GetString()!, session.GetString()!), out var waiter))
        {
            waiter.TrySetResult(m.TryGetProperty("params", out var p) ? p.Clone() : default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await SendAsync("Browser.close").WaitAsync(TimeSpan.FromSeconds(5));
            }
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or WebSocketException)
        {
            // Killed below either way.
        }

        await _stop.CancelAsync();
        await _receiving;
        _socket.Dispose();
        if (!_process.HasExited && !_process.WaitForExit(5000))
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_profileDir, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be writing its profile as it exits; it lives in the temp directory anyway.
        }
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevToolsListening();

    /// <summary>One tab in its own browser context; disposing closes the context (and with it the tab and its cache).</summary>
    public sealed class Tab(HeadlessChromium browser, string context, string session) : IAsyncDisposable
    {
        public Task<JsonElement> SendAsync(string method, object? parameters = null) => browser.SendAsync(method, parameters, session);

        /// <summary>Navigates and waits for the document's load event.</summary>
        public async Task NavigateAsync(string url)
        {
            var loaded = browser.NextEvent("Page.loadEventFired", session);
            var result = await SendAsync("Page.navigate", new { url });
            if (result.TryGetProperty("errorText", out var error) && error.GetString() is { Length: > 0 } text)
            {
                throw new InvalidOperationException($"navigating to {url} failed: {text}");
            }

            await loaded.WaitAsync(TimeSpan.FromSeconds(60));
        }

        /// <summary>Evaluates an expression in the page and returns its value (JSON-serialisable results only).</summary>
        public async Task<JsonElement> EvaluateAsync(string expression)
        {
            var result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
            if (result.TryGetProperty("exceptionDetails", out var failure))
            {
                throw new InvalidOperationException($"evaluating in the page failed: {failure.GetRawText()}");
            }

            return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
        }

        /// <summary>
        /// Records a Chromium trace (the JSON the DevTools Performance panel opens) of what <paramref name="action"/>
        /// makes this tab do, and writes it to <paramref name="file"/>.
        /// </summary>
        public async Task RecordTraceAsync(string file, Func<Task> action)
        {
            await SendAsync("Tracing.start", new
            {
                transferMode = "ReturnAsStream",
                traceConfig = new
                {
                    includedCategories = new[]
                    {
                        "devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "v8", "disabled-by-default-v8.compile",
                        "blink.user_timing", "loading", "toplevel", "blink", "cc", "gpu",
                    },
                },
            });
            await action();
            var complete = browser.NextEvent("Tracing.tracingComplete", session);
            await SendAsync("Tracing.end");
            var handle = (await complete.WaitAsync(TimeSpan.FromSeconds(60))).GetProperty("stream").GetString()!;
            await using var output = File.Create(file);
            while (true)
            {
                var chunk = await SendAsync("IO.read", new { handle, size = 1 << 20 });
                var data = chunk.GetProperty("data").GetString() ?? "";
                var bytes = chunk.TryGetProperty("base64Encoded", out var b64) && b64.GetBoolean() ? Convert.FromBase64String(data) : System.Text.Encoding.UTF8.GetBytes(data);
                await output.WriteAsync(bytes);
                if (chunk.TryGetProperty("eof", out var eof) && eof.GetBoolean())
                {
                    break;
                }
            }

            await SendAsync("IO.close", new { handle });
        }

        /// <summary>Polls <paramref name="expression"/> every 20 ms until it is neither null nor false (at most 60 s).</summary>
        public async Task<JsonElement> WaitForAsync(string expression, string what)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                var value = await EvaluateAsync(expression);
                if (value.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.False))
                {
                    return value;
                }

                await Task.Delay(20);
            }

            throw new TimeoutException($"timed out after 60 s waiting for {what}");
        }

        public async ValueTask DisposeAsync() => await browser.SendAsync("Target.disposeBrowserContext", new { browserContextId = context });
    }
}
