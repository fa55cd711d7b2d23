using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Durable;

/// <summary>The orchestration management API of the real app (a process), driving the product's SelfTest orchestration.</summary>
[Collection("azurite")]
public class ManagementApiTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Start_status_raise_event_history_query_and_purge_answer_with_the_documented_codes_and_shapes()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, AppSettings.ForHub("api" + Guid.NewGuid().ToString("N")[..8]));
        var http = app.Http;
        var id = "api-" + Guid.NewGuid().ToString("N");

        using var start = await http.PostAsync($"/api/orchestrations/SelfTest?instanceId={id}&label.component=checkout", Json(new { activities = 2, waitForEvent = "go" }));
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var payload = await start.Content.ReadFromJsonAsync<JsonElement>();
        var statusUri = payload.GetProperty("statusQueryGetUri").GetString()!;
        Assert.Equal(id, payload.GetProperty("id").GetString());
        Assert.Equal(new Uri(app.BaseAddress, $"/api/orchestrations/instances/{id}").ToString(), statusUri);
        Assert.Equal(statusUri, start.Headers.Location!.ToString());
        Assert.Equal(statusUri + "/raiseEvent/{eventName}", payload.GetProperty("sendEventPostUri").GetString());
        Assert.StartsWith(statusUri + "/terminate", payload.GetProperty("terminatePostUri").GetString(), StringComparison.Ordinal);
        Assert.StartsWith(statusUri + "/suspend", payload.GetProperty("suspendPostUri").GetString(), StringComparison.Ordinal);
        Assert.StartsWith(statusUri + "/resume", payload.GetProperty("resumePostUri").GetString(), StringComparison.Ordinal);
        Assert.Equal(statusUri, payload.GetProperty("purgeHistoryDeleteUri").GetString());

        using (var again = await http.PostAsync($"/api/orchestrations/SelfTest?instanceId={id}", Json(new { })))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        // Running (waiting for "go"): 202 with the status body.
        var running = await Eventually.ValueAsync(async () =>
        {
            using var r = await http.GetAsync(statusUri);
            var body = await r.Content.ReadFromJsonAsync<JsonElement>();
            return r.StatusCode == HttpStatusCode.Accepted && body.GetProperty("runtimeStatus").GetString() == "Running" ? (JsonElement?)body : null;
        }, TimeSpan.FromSeconds(60), "the instance to run");
        var shape = running!.Value;
        foreach (var field in new[] { "name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime" })
        {
            Assert.True(shape.TryGetProperty(field, out _), $"status body lacks '{field}'");
        }

        Assert.Equal("SelfTest", shape.GetProperty("name").GetString());
        Assert.Equal(2, shape.GetProperty("input").GetProperty("activities").GetInt32());
        Assert.Equal("waiting", shape.GetProperty("customStatus").GetProperty("phase").GetString());

        using (var raised = await http.PostAsync(statusUri + "/raiseEvent/go", Json(new { ok = true })))
        {
            Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);
        }

        var finished = await Eventually.ValueAsync(async () =>
        {
            using var r = await http.GetAsync(statusUri);
            return r.StatusCode == HttpStatusCode.OK ? (JsonElement?)await r.Content.ReadFromJsonAsync<JsonElement>() : null;
        }, TimeSpan.FromSeconds(60), "the instance to finish");
        Assert.Equal("Completed", finished!.Value.GetProperty("runtimeStatus").GetString());
        Assert.Equal(5, finished.Value.GetProperty("output").GetProperty("sum").GetInt64());
        Assert.Equal("{\"ok\":true}", finished.Value.GetProperty("output").GetProperty("eventData").GetString());

        using (var gone = await http.PostAsync(statusUri + "/raiseEvent/go", Json(new { })))
        {
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
            Assert.Equal("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
        }

        using (var gone = await http.PostAsync(statusUri + "/terminate?reason=late", null))
        {
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        }

        var history = await http.GetFromJsonAsync<JsonElement>(statusUri + "/history");
        var types = history.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Contains("EventRaised", types);
        Assert.Equal(2, types.Count(t => t == "TaskCompleted"));
        Assert.Equal("ExecutionCompleted", types[^1]);

        var page = await http.GetFromJsonAsync<JsonElement>("/api/orchestrations/instances?name=SelfTest&runtimeStatus=Completed,Failed&label.component=checkout&top=10");
        Assert.Contains(page.GetProperty("instances").EnumerateArray(), i => i.GetProperty("instanceId").GetString() == id);
        using (var bad = await http.GetAsync("/api/orchestrations/instances?runtimeStatus=Sleeping"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        using (var purge = await http.DeleteAsync(statusUri))
        {
            Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
            Assert.Equal(1, (await purge.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("instancesDeleted").GetInt32());
        }

        using (var purged = await http.GetAsync(statusUri))
        {
            Assert.Equal(HttpStatusCode.NotFound, purged.StatusCode);
        }

        using (var purgeAgain = await http.DeleteAsync(statusUri))
        {
            Assert.Equal(HttpStatusCode.NotFound, purgeAgain.StatusCode);
        }
    }

    [Fact]
    public async Task Unknown_instances_and_orchestrators_are_404_and_malformed_requests_400()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, AppSettings.ForHub("bad" + Guid.NewGuid().ToString("N")[..8]));
        var http = app.Http;
        var unknown = "/api/orchestrations/instances/nobody-" + Guid.NewGuid().ToString("N");

        foreach (var (method, uri) in new[]
        {
            (HttpMethod.Get, unknown), (HttpMethod.Get, unknown + "/history"), (HttpMethod.Post, unknown + "/raiseEvent/go"),
            (HttpMethod.Post, unknown + "/terminate"), (HttpMethod.Post, unknown + "/suspend"), (HttpMethod.Post, unknown + "/resume"),
            (HttpMethod.Delete, unknown), (HttpMethod.Post, "/api/orchestrations/NoSuchOrchestrator"),
        })
        {
            using var r = await http.SendAsync(new HttpRequestMessage(method, uri));
            Assert.True(r.StatusCode == HttpStatusCode.NotFound, $"{method} {uri} answered {(int)r.StatusCode}");
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        }

        using (var r = await http.PostAsync("/api/orchestrations/SelfTest", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }

        using (var r = await http.PostAsync("/api/orchestrations/SelfTest?instanceId=has%2Fslash", Json(new { })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }
    }

    [Fact]
    public async Task Terminate_suspend_and_resume_are_accepted_and_take_effect()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, AppSettings.ForHub("ctl" + Guid.NewGuid().ToString("N")[..8]));
        var http = app.Http;
        var id = "ctl-" + Guid.NewGuid().ToString("N");
        using (var start = await http.PostAsync($"/api/orchestrations/SelfTest?instanceId={id}", Json(new { waitForEvent = "go" })))
        {
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        }

        var status = $"/api/orchestrations/instances/{id}";
        await WaitForStatusAsync(http, status, "Running");
        using (var r = await http.PostAsync(status + "/suspend?reason=maintenance", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }

        await WaitForStatusAsync(http, status, "Suspended");
        using (var r = await http.PostAsync(status + "/resume", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }

        await WaitForStatusAsync(http, status, "Running");
        using (var r = await http.PostAsync(status + "/terminate?reason=enough", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }

        var done = await WaitForStatusAsync(http, status, "Terminated");
        Assert.Equal("enough", done.GetProperty("output").GetString());
    }

    private static async Task<JsonElement> WaitForStatusAsync(HttpClient http, string uri, string status) =>
        (await Eventually.ValueAsync(async () =>
        {
            var body = await http.GetFromJsonAsync<JsonElement>(uri);
            return body.GetProperty("runtimeStatus").GetString() == status ? (JsonElement?)body : null;
        }, TimeSpan.FromSeconds(60), $"{uri} to be {status}"))!.Value;

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), System.Text.Encoding.UTF8, "application/json");
}

/// <summary>App-process settings for engine tests: a private task hub and fast crash recovery.</summary>
internal static class AppSettings
{
    public static Dictionary<string, string> ForHub(string hub) => new()
    {
        ["Durable__TaskHub"] = hub,
        ["Durable__PartitionCount"] = "4",
        ["Durable__ControlQueueVisibilityTimeout"] = "00:00:10",
        ["Durable__WorkItemQueueVisibilityTimeout"] = "00:00:10",
        ["Durable__MaxQueuePollingInterval"] = "00:00:00.500",
        ["Durable__LeaseAcquireInterval"] = "00:00:01",
    };
}
