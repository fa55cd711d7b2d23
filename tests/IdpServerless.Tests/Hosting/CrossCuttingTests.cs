using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using IdpServerless.Tests.Deployments;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Hosting;

/// <summary>
/// What every function gets from the hosting layer: health, readiness, OpenAPI, metrics (scraped by a real Prometheus
/// too), errors, CORS, limits.
/// </summary>
[Collection("azurite")]
public class CrossCuttingTests(AzuriteFixture azurite, PrometheusFixture prometheus) : IClassFixture<PrometheusFixture>
{
    [Fact]
    public async Task Readiness_answers_200_when_storage_is_reachable_and_503_when_it_is_not()
    {
        await using (var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString))
        {
            using var ready = await app.Http.GetAsync("/api/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        var closed = FreePorts.Next();
        var unreachable = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={IdpServerless.Storage.StorageAccount.DevelopmentAccountKey};" +
                          $"BlobEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;";
        // Production mode: the test must not sign in through the dev issuer, which itself needs storage.
        await using var broken = await FunctionAppProcess.StartAsync(unreachable, new Dictionary<string, string> { ["IDP_MODE"] = "production" });
        using var live = await broken.Http.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var notReady = await broken.Http.GetAsync("/api/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal("application/problem+json", notReady.Content.Headers.ContentType?.MediaType);
        var problem = await notReady.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(problem.GetProperty("featuresOff").EnumerateArray(), f => f.GetProperty("feature").GetString() == "Bearer sign-in");
    }

    [Fact]
    public async Task The_openapi_document_is_served_at_a_stable_url()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString);
        var doc = await app.Http.GetFromJsonAsync<JsonElement>("/api/openapi/v1.json");
        Assert.StartsWith("3.", doc.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/health", out _));
        Assert.Equal("IdpServerless API", doc.GetProperty("info").GetProperty("title").GetString());
    }

    [Fact]
    public async Task Metrics_are_exposed_in_prometheus_text_format_and_count_invocations()
    {
        var queue = AzuriteFixture.UniqueName("probe");
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string> { ["Diagnostics__ProbeQueue"] = queue });
        await RunProbesAsync(queue, 1);
        using (var health = await app.Http.GetAsync("/api/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        using var metrics = await app.Http.GetAsync("/metrics");
        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE idp_function_invocations_total counter", text, StringComparison.Ordinal);
        Assert.Contains("idp_function_invocations_total{function=\"DiagnosticsProbe\",outcome=\"success\",trigger=\"queue\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("idp_function_duration_seconds_bucket{function=\"DiagnosticsProbe\",trigger=\"queue\",le=\"+Inf\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("idp_function_duration_seconds_count{function=\"DiagnosticsProbe\",trigger=\"queue\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("# HELP idp_function_invocations_total Function invocations by function, trigger and outcome.", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE idp_function_duration_seconds histogram", text, StringComparison.Ordinal);

        // The bucket bounds that dashboards and alerts read, on our histograms and on ASP.NET Core's alike.
        string[] bounds = ["0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "+Inf"];
        Assert.Equal(bounds, Bounds(text, "idp_function_duration_seconds_bucket{function=\"DiagnosticsProbe\","));
        Assert.Equal(bounds, Bounds(text, "http_server_request_duration_seconds_bucket{http_request_method=\"GET\",http_response_status_code=\"200\",http_route=\"/api/health\","));

        // Labels are what the instruments record: no scope labels on each series, no resource series.
        Assert.DoesNotContain("otel_scope_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("target_info", text, StringComparison.Ordinal);

        static string[] Bounds(string text, string series) => text.Split('\n')
            .Where(l => l.StartsWith(series, StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("le=\"", StringComparison.Ordinal) + 4)..l.IndexOf("\"}", StringComparison.Ordinal)])
            .ToArray();
    }

    [Fact]
    public async Task Metrics_need_no_token_and_stay_in_the_text_format_when_the_scraper_asks_for_openmetrics()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString);
        using var health = await app.Http.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        // As Prometheus scrapes: without a token, OpenMetrics first in its Accept header.
        using var scraper = app.CreateAnonymousClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.TryAddWithoutValidation("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        using var metrics = await scraper.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        Assert.Contains(metrics.Content.Headers.ContentType!.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("http_server_request_duration_seconds_bucket{http_request_method=\"GET\",http_response_status_code=\"200\",http_route=\"/api/health\",network_protocol_version=\"1.1\",url_scheme=\"http\",le=\"1\"}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("_created", text, StringComparison.Ordinal);
        Assert.DoesNotContain("# EOF", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prometheus_scrapes_the_apps_metrics_without_error_and_queries_counters_and_histograms_by_their_names()
    {
        var queue = AzuriteFixture.UniqueName("probe");
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string> { ["Diagnostics__ProbeQueue"] = queue });
        await RunProbesAsync(queue, 3);

        await prometheus.ScrapeAsync(app.Port);
        var target = await Eventually.ValueAsync(async () => await prometheus.TargetAsync(app.Port) is { } t ? (object)t : null,
            TimeSpan.FromSeconds(30), "Prometheus to scrape the app's /metrics");
        // A scrape Prometheus cannot parse is health "down" with the parser's error.
        Assert.Equal(("up", string.Empty), ((string, string))target);

        var series = $"instance=\"127.0.0.1:{app.Port}\",function=\"DiagnosticsProbe\"";
        var invocations = await Eventually.ValueAsync(async () => await prometheus.QueryAsync($"idp_function_invocations_total{{{series},outcome=\"success\",trigger=\"queue\"}}") is { } v ? (object)v : null,
            TimeSpan.FromSeconds(30), "the invocations counter in Prometheus");
        Assert.Equal(3d, invocations);
        Assert.Equal(3d, await prometheus.QueryAsync($"idp_function_duration_seconds_count{{{series},trigger=\"queue\"}}"));
        Assert.Equal(15d, await prometheus.QueryAsync($"count(idp_function_duration_seconds_bucket{{{series}}})"));
        Assert.Equal(3d, await prometheus.QueryAsync($"idp_function_duration_seconds_bucket{{{series},le=\"60\"}}"));
        var median = await prometheus.QueryAsync($"histogram_quantile(0.5, sum by (le) (idp_function_duration_seconds_bucket{{{series}}}))");
        Assert.InRange(median ?? double.NaN, 0, 60);
        Assert.Equal("counter", await prometheus.MetadataTypeAsync("idp_function_invocations_total"));
        Assert.Equal("histogram", await prometheus.MetadataTypeAsync("idp_function_duration_seconds"));
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem_details()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString);
        using var r = await app.Http.GetAsync("/api/no-such-function");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var p = await r.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, p.GetProperty("status").GetInt32());
        Assert.Equal("https://idpserverless.dev/problems/not-found", p.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_wrong_method_is_a_405_problem_details_whose_allow_header_lists_the_routes_methods()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString);
        using var anonymous = app.CreateAnonymousClient();
        foreach (var (client, method, path, allowed) in new[]
                 {
                     (app.Http, HttpMethod.Get, "/api/orchestrations/some-id", new[] { "POST" }),
                     (anonymous, HttpMethod.Get, "/api/orchestrations/some-id", ["POST"]),
                     (app.Http, HttpMethod.Put, "/api/orchestrations/instances/some-id", ["DELETE", "GET"]),
                     (app.Http, HttpMethod.Delete, "/api/health", ["GET"]),
                     (app.Http, HttpMethod.Post, "/metrics", ["GET"]),
                 })
        {
            using var r = await client.SendAsync(new HttpRequestMessage(method, path));
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.MethodNotAllowed, $"{method} {path}: {(int)r.StatusCode} {body}");
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            Assert.Equal(allowed, r.Content.Headers.Allow.Order(StringComparer.Ordinal));
            var p = JsonDocument.Parse(body).RootElement;
            Assert.Equal("https://idpserverless.dev/problems/method-not-allowed", p.GetProperty("type").GetString());
            Assert.Equal(405, p.GetProperty("status").GetInt32());
            Assert.Equal(allowed, p.GetProperty("allow").EnumerateArray().Select(a => a.GetString()).Order(StringComparer.Ordinal));
            Assert.Contains(method.Method, p.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_problem_details()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string> { ["IDP_MAX_REQUEST_BYTES"] = "1024" });
        var big = new string('x', 4096);
        using var r = await app.Http.PostAsync("/api/orchestrations/SelfTest", new StringContent("{\"input\":\"" + big + "\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Cors_preflight_is_answered_for_configured_origins_only()
    {
        await using var app = await FunctionAppProcess.StartAsync(azurite.ConnectionString, new Dictionary<string, string> { ["IDP_CORS_ORIGINS"] = "http://127.0.0.1:4280" });
        using var allowed = await app.Http.SendAsync(Preflight("http://127.0.0.1:4280"));
        Assert.Equal("http://127.0.0.1:4280", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var other = await app.Http.SendAsync(Preflight("http://evil.example"));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));

        static HttpRequestMessage Preflight(string origin)
        {
            var m = new HttpRequestMessage(HttpMethod.Options, "/api/health");
            m.Headers.Add("Origin", origin);
            m.Headers.Add("Access-Control-Request-Method", "GET");
            m.Headers.Add("Access-Control-Request-Headers", "authorization");
            return m;
        }
    }

    /// <summary>Sends <paramref name="count"/> probes to the app's probe queue and waits until each is done.</summary>
    private async Task RunProbesAsync(string queueName, int count)
    {
        var storage = azurite.CreateClient();
        var queue = storage.GetQueue(queueName);
        await queue.CreateIfNotExistsAsync();
        var ids = Enumerable.Range(0, count).Select(i => $"{queueName}-{i}").ToList();
        foreach (var id in ids)
        {
            await queue.SendAsync(JsonSerializer.Serialize(new { probeId = id }));
        }

        var table = storage.GetTable(IdpServerless.Functions.Diagnostics.DiagnosticsProbe.TableName);
        await Eventually.TrueAsync(async () =>
        {
            foreach (var id in ids)
            {
                try
                {
                    if (await table.GetEntityAsync(IdpServerless.Storage.TableKeys.Escape(id), "done") is null)
                    {
                        return false;
                    }
                }
                catch (IdpServerless.Storage.StorageNotFoundException)
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(60), "the probes are handled");
    }
}
