using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using QueueMessage = Azure.Storage.Queues.Models.QueueMessage;
using IdpServerless.Functions.Diagnostics;
using IdpServerless.Functions.Infrastructure;
using IdpServerless.Hosting;
using IdpServerless.Hosting.Configuration;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Functions;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IdpServerless.Tests.Hosting;

/// <summary>
/// The app as the Functions host runs it (started with <c>--functions-worker-id</c>), without the host, which cannot
/// run here: functions are called as the host's triggers call them (the HTTP function behind a catch-all endpoint like
/// the ASP.NET Core integration's, queue functions with the extension's <see cref="QueueMessage"/>, timer functions
/// with a <see cref="TimerInfo"/>), on real Azurite.
/// </summary>
[Collection("azurite")]
public sealed class WorkerModeTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly string _probeQueue = AzuriteFixture.UniqueName("wprobe");
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--functions-worker-id", "test-worker"], EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["IDP_MODE"] = "local",
            ["IDP_BOOTSTRAP_ADMINS"] = "user:default/admin",
            ["Diagnostics:ProbeQueue"] = _probeQueue,
            ["Durable:TaskHub"] = "w" + Guid.NewGuid().ToString("N")[..10],
            ["Logging:LogLevel:Default"] = "Warning",
        });
        AppComposition.AddServices(builder);
        _app = builder.Build();
        // As the ASP.NET Core integration routes a forwarded request: to the HTTP function's own catch-all endpoint.
        _app.Map("/{**path}", async (HttpContext context) =>
        {
            var function = ActivatorUtilities.CreateInstance<HttpFrontDoor>(context.RequestServices);
            var result = await function.RunAsync(context.Request);
            await result.ExecuteResultAsync(new ActionContext { HttpContext = context });
        });
        await _app.StartAsync();
        _http = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public void Under_the_host_the_app_runs_no_trigger_of_its_own()
    {
        Assert.Equal(HostingMode.FunctionsWorker, _app.Services.GetRequiredService<FunctionAppInfo>().Mode);
        var hosted = _app.Services.GetServices<IHostedService>().Select(s => s.GetType()).ToList();
        Assert.DoesNotContain(typeof(QueueDispatcher), hosted);
        Assert.DoesNotContain(typeof(TimerDispatcher), hosted);
        Assert.DoesNotContain(hosted, t => t.Namespace?.StartsWith("Microsoft.DurableTask.Worker", StringComparison.Ordinal) == true);
        Assert.False(_app.Services.GetRequiredService<DurableDispatch>().Enabled);
    }

    [Fact]
    public async Task The_http_function_serves_the_apps_own_route_table_and_authorization()
    {
        var health = await _http.GetFromJsonAsync<JsonElement>("/api/health");
        Assert.Equal("FunctionsWorker", health.GetProperty("mode").GetString());

        using var anonymous = await _http.GetAsync("/api/catalog/entities");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);

        using var unknown = await _http.GetAsync("/api/no-such-function");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        using var wrongMethod = await _http.DeleteAsync("/api/health");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal(["GET"], wrongMethod.Content.Headers.Allow.ToArray());

        var doc = await _http.GetFromJsonAsync<JsonElement>("/api/openapi/v1.json");
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/health", out _));
        Assert.False(doc.GetProperty("paths").TryGetProperty("/{path}", out _), "the host's catch-all is not part of the API");

        // Signed in through the app's own issuer, the same request is authorized by the same point.
        using var token = await _http.PostAsJsonAsync("/api/auth/dev-token", new { user = "user:default/admin" });
        Assert.True(token.IsSuccessStatusCode, await token.Content.ReadAsStringAsync());
        var bearer = (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/catalog/entities?limit=1");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        using var entities = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, entities.StatusCode);
    }

    [Fact]
    public async Task A_queue_function_called_as_the_host_calls_it_handles_retries_and_poisons_its_last_attempt_with_the_reason()
    {
        var ok = "ok-" + Guid.NewGuid().ToString("N");
        await InvokeProbeAsync(Message(new { probeId = ok }, 1));
        Assert.Equal(1L, (await Row(ok, "done"))!.GetInt64("DequeueCount"));

        // A failing attempt with attempts left throws, so the host makes the message visible again.
        var failing = "fail-" + Guid.NewGuid().ToString("N");
        var e = await Assert.ThrowsAsync<FunctionAttemptFailedException>(() => InvokeProbeAsync(Message(new { probeId = failing, failAttempts = 9 }, 3)));
        Assert.Contains("asked to fail attempt 3", e.Reason, StringComparison.Ordinal);
        Assert.Null(await Row(failing, "done"));

        // The last attempt writes the poison record with its reason and returns, so the host deletes the message.
        await InvokeProbeAsync(Message(new { probeId = failing, failAttempts = 9 }, 5));
        var poison = azurite.CreateClient().GetQueue(_probeQueue + "-poison");
        var record = (await poison.PeekAsync(32)).Select(m => PoisonRecord.TryParse(m.Body)).Single(r => r?.Body.Contains(failing, StringComparison.Ordinal) == true)!;
        Assert.Equal((5L, DiagnosticsProbe.FunctionName, _probeQueue), (record.DequeueCount, record.Function, record.Queue));
        Assert.Contains("asked to fail attempt 5", record.Reason, StringComparison.Ordinal);

        // A body that can never succeed is poisoned on its first attempt.
        await InvokeProbeAsync(QueuesModelFactory.QueueMessage("m-bad", "pop", BinaryData.FromString("not json"), 1));
        Assert.Contains((await poison.PeekAsync(32)).Select(m => PoisonRecord.TryParse(m.Body)), r => r?.MessageId == "m-bad" && r.DequeueCount == 1);
    }

    [Fact]
    public async Task A_large_message_delivered_by_the_host_as_its_blob_reference_reaches_the_handler_as_the_original_body()
    {
        var storage = azurite.CreateClient();
        var queue = storage.GetQueue(_probeQueue);
        await queue.CreateIfNotExistsAsync();
        var id = "large-" + Guid.NewGuid().ToString("N");
        var body = JsonSerializer.Serialize(new { probeId = id, padding = new string('x', 100_000) });
        await queue.SendAsync(body);
        // What the host's trigger hands the function: the raw message, which carries only the payload blob's reference.
        var raw = (await queue.Sdk.PeekMessagesAsync(32)).Value.Single();
        Assert.StartsWith("{\"idp.queuePayload\":", raw.Body.ToString(), StringComparison.Ordinal);
        Assert.True(raw.Body.ToString().Length < 64 * 1024, "the message on the queue is the reference, not the body");
        await InvokeProbeAsync(QueuesModelFactory.QueueMessage(raw.MessageId, "pop", raw.Body, 1));
        Assert.NotNull(await Row(id, "done"));
    }

    [Fact]
    public async Task A_timer_function_called_as_the_host_calls_it_runs_with_the_hosts_past_due_flag()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var heartbeat = ActivatorUtilities.CreateInstance<DiagnosticsHeartbeat>(scope.ServiceProvider);
        await heartbeat.RunAsync(new TimerInfo { IsPastDue = true, ScheduleStatus = new ScheduleStatus { Last = DateTime.UtcNow.AddMinutes(-10), Next = DateTime.UtcNow.AddMinutes(5) } }, CancellationToken.None);
        var row = await azurite.CreateClient().GetTable(DiagnosticsProbe.TableName).GetEntityAsync("heartbeat", "last");
        Assert.Equal(Environment.ProcessId, row!.GetInt32("ProcessId"));
        Assert.True(row.GetBoolean("IsPastDue"));
    }

    private async Task InvokeProbeAsync(QueueMessage message)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var function = ActivatorUtilities.CreateInstance<DiagnosticsProbe>(scope.ServiceProvider);
        await function.RunAsync(message, CancellationToken.None);
    }

    private static QueueMessage Message(object body, long dequeueCount) =>
        QueuesModelFactory.QueueMessage("m-" + Guid.NewGuid().ToString("N"), "pop", BinaryData.FromString(JsonSerializer.Serialize(body)), dequeueCount,
            insertedOn: DateTimeOffset.UtcNow.AddSeconds(-5));

    private async Task<TableEntity?> Row(string probe, string row)
    {
        try
        {
            return await azurite.CreateClient().GetTable(DiagnosticsProbe.TableName).GetEntityAsync(TableKeys.Escape(probe), row);
        }
        catch (StorageNotFoundException)
        {
            return null;
        }
    }
}
