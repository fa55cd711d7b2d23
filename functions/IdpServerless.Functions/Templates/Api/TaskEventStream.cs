using System.Text;
using IdpServerless.Functions.Templates.Tasks;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Templates.Api;

/// <summary>
/// <c>GET .../tasks/{id}/eventstream</c>: Server-Sent Events of a task's log (<c>event: log</c> / <c>event: completion</c>,
/// <c>id:</c> the event id, <c>data:</c> the event JSON). Resumes after <c>Last-Event-ID</c> or <c>?after=</c>; ends
/// after the completion event, or after <see cref="MaxDuration"/> (clients reconnect with Last-Event-ID).
/// </summary>
public static class TaskEventStream
{
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task StreamAsync(string id, string? after, HttpContext http, TaskStore store, TaskEventLog events, TimeProvider time, CancellationToken ct)
    {
        var task = await store.GetAsync(id, ct) ?? throw ProblemException.NotFound($"No task {id}.");
        var lastId = ScaffolderApi.ParseAfter(http.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? after, "Last-Event-ID");
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.Body.FlushAsync(ct);
        var started = time.GetUtcNow();
        var lastWrite = started;
        var finished = TaskStatuses.IsFinished(task.Status);
        while (!ct.IsCancellationRequested && time.GetUtcNow() - started < MaxDuration)
        {
            var batch = await events.ReadAsync(id, lastId, 500, ct);
            foreach (var e in batch)
            {
                var frame = $"id: {e.Id}\nevent: {e.Type}\ndata: {e.ToJson().ToJsonString()}\n\n";
                await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(frame), ct);
                lastId = e.Id;
                lastWrite = time.GetUtcNow();
                if (e.Type == "completion")
                {
                    await http.Response.Body.FlushAsync(ct);
                    return;
                }
            }

            if (batch.Count > 0)
            {
                await http.Response.Body.FlushAsync(ct);
                continue;
            }

            if (finished)
            {
                // Finished before this stream began and the completion event was already delivered earlier.
                return;
            }

            if (time.GetUtcNow() - lastWrite > KeepAlive)
            {
                await http.Response.Body.WriteAsync(": keep-alive\n\n"u8.ToArray(), ct);
                await http.Response.Body.FlushAsync(ct);
                lastWrite = time.GetUtcNow();
            }

            try
            {
                await Task.Delay(PollInterval, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
