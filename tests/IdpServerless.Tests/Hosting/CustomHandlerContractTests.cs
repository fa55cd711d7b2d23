using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Functions.Diagnostics;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Hosting;

/// <summary>
/// The app in custom-handler mode, driven exactly as the Functions host drives it: HTTP forwarded as is, queue and
/// timer triggers POSTed to /{FunctionName} as invocation envelopes.
/// </summary>
[Collection("azurite")]
public class CustomHandlerContractTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Http_requests_are_served_on_the_hosts_port_and_no_dispatcher_runs()
    {
        var storage = azurite.CreateClient();
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, customHandler: true);
        var health = await app.Http.GetFromJsonAsync<JsonElement>("/api/health");
        Assert.Equal("CustomHandler", health.GetProperty("mode").GetString());

        // In custom-handler mode the host owns the queues: a message put on the queue is not consumed by the app.
        var probe = "host-owned-" + Guid.NewGuid().ToString("N");
        var queue = storage.GetQueue(DiagnosticsProbe.QueueName);
        await queue.CreateIfNotExistsAsync();
        await queue.SendAsync(JsonSerializer.Serialize(new { probeId = probe }));
        var table = storage.GetTable(DiagnosticsProbe.TableName);
        await table.CreateIfNotExistsAsync();
        using var r = await app.Http.PostAsync("/DiagnosticsProbe", Envelope(JsonSerializer.Serialize(new { probeId = probe + "-direct" }), 1));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.NotNull(await table.GetEntityAsync(TableKeys.Escape(probe + "-direct"), "done"));
        Assert.Null(await table.GetEntityAsync(TableKeys.Escape(probe), "attempt-001"));
    }

    [Fact]
    public async Task A_queue_invocation_is_answered_with_outputs_logs_and_return_value()
    {
        var storage = azurite.CreateClient();
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, customHandler: true);
        var probe = "env-" + Guid.NewGuid().ToString("N");
        // The host may JSON-encode the message a second time: send it that way.
        var twice = JsonSerializer.Serialize(JsonSerializer.Serialize(new { probeId = probe }));
        using var r = await app.Http.PostAsync("/DiagnosticsProbe", Envelope(twice, 2, raw: true));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = await r.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Object, body.GetProperty("Outputs").ValueKind);
        Assert.Equal(JsonValueKind.Array, body.GetProperty("Logs").ValueKind);
        Assert.True(body.TryGetProperty("ReturnValue", out _));
        var done = await storage.GetTable(DiagnosticsProbe.TableName).GetEntityAsync(TableKeys.Escape(probe), "done");
        Assert.Equal(2L, done!.GetInt64("DequeueCount"));
    }

    [Fact]
    public async Task A_failing_attempt_before_the_last_answers_non_2xx_so_the_host_retries()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, customHandler: true);
        var probe = "fail-" + Guid.NewGuid().ToString("N");
        using var r = await app.Http.PostAsync("/DiagnosticsProbe", Envelope(JsonSerializer.Serialize(new { probeId = probe, failAttempts = 9 }), 3));
        Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        var body = await r.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("asked to fail attempt 3", body.GetProperty("Logs")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_last_failing_attempt_is_poisoned_with_its_reason_and_acknowledged()
    {
        var storage = azurite.CreateClient();
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, customHandler: true);
        var probe = "last-" + Guid.NewGuid().ToString("N");
        using var r = await app.Http.PostAsync("/DiagnosticsProbe", Envelope(JsonSerializer.Serialize(new { probeId = probe, failAttempts = 9 }), 5));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var poison = storage.GetQueue(DiagnosticsProbe.QueueName + "-poison");
        var record = (await poison.PeekAsync(32)).Select(m => PoisonRecord.TryParse(m.Body)).First(p => p?.Body.Contains(probe, StringComparison.Ordinal) == true)!;
        Assert.Equal(5, record.DequeueCount);
        Assert.Contains("asked to fail attempt 5", record.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timer_invocation_runs_the_timer_function()
    {
        var storage = azurite.CreateClient();
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, customHandler: true);
        var payload = """{"Data":{"timer":"{\"Schedule\":{\"AdjustForDST\":true},\"ScheduleStatus\":{\"Last\":\"2026-11-21T10:00:00Z\",\"Next\":\"2026-11-21T10:05:00Z\",\"LastUpdated\":\"2026-11-21T10:00:00Z\"},\"IsPastDue\":true}"},"Metadata":{"sys":{"MethodName":"DiagnosticsHeartbeat","UtcNow":"2026-11-21T10:05:00Z","RandGuid":"5b5b0c4f-9c0e-4a6f-9d6e-3c9b1f0e6a11"}}}""";
        using var r = await app.Http.PostAsync("/DiagnosticsHeartbeat", new StringContent(payload, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var row = await storage.GetTable(DiagnosticsProbe.TableName).GetEntityAsync("heartbeat", "last");
        Assert.Equal(app.ProcessId, row!.GetInt32("ProcessId"));
        Assert.True(row.GetBoolean("IsPastDue"));
    }

    [Fact]
    public async Task A_malformed_envelope_is_refused_with_400()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, customHandler: true);
        using var r = await app.Http.PostAsync("/DiagnosticsProbe", new StringContent("{\"Metadata\":{}}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    private static StringContent Envelope(string message, int dequeueCount, bool raw = false)
    {
        var data = raw ? message : JsonSerializer.Serialize(message);
        var json = "{\"Data\":{\"message\":" + data + "},\"Metadata\":{\"DequeueCount\":" + dequeueCount +
                   ",\"Id\":\"" + Guid.NewGuid() + "\",\"PopReceipt\":\"AgAAAAMAAAAAAAAA\",\"InsertionTime\":\"2026-11-21T10:00:00+00:00\"" +
                   ",\"ExpirationTime\":\"2026-11-28T10:00:00+00:00\",\"NextVisibleTime\":\"2026-11-21T10:10:00+00:00\"" +
                   ",\"sys\":{\"MethodName\":\"DiagnosticsProbe\",\"UtcNow\":\"2026-11-21T10:00:01Z\",\"RandGuid\":\"" + Guid.NewGuid() + "\"}}}";
        return new StringContent(json, System.Text.Encoding.UTF8, "application/json");
    }
}
