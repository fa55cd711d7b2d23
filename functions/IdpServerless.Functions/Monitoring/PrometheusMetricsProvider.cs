using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Monitoring;

/// <summary>Settings of the metrics provider (section <c>Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary><c>simulated</c> (default) or <c>prometheus</c>.</summary>
    public string Provider { get; set; } = "simulated";

    /// <summary>Prometheus base URL, e.g. <c>http://prometheus:9090</c>.</summary>
    public string? PrometheusUrl { get; set; }

    /// <summary>Optional bearer token for a Prometheus behind an auth proxy (never logged).</summary>
    public string? PrometheusToken { get; set; }

    /// <summary>
    /// Prometheus base URLs an Argo Rollouts analysis template's <c>provider.prometheus.address</c> may name (exact match,
    /// scheme, host, port and path, trailing slash ignored). Any other address is not called (no request forgery from a
    /// team's repository into the portal's network): the query goes to <see cref="PrometheusUrl"/>. Empty by default.
    /// </summary>
    public IList<string> AllowedAnalysisAddresses { get; } = [];

    /// <summary>True when <paramref name="address"/> is in <see cref="AllowedAnalysisAddresses"/>.</summary>
    public bool Allows(string? address) =>
        address is { Length: > 0 } && AllowedAnalysisAddresses.Any(a => string.Equals(a.TrimEnd('/'), address.Trim().TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
}

/// <summary>The real metrics provider over Prometheus' HTTP API.</summary>
public sealed class PrometheusMetricsProvider(HttpClient http, IOptions<MetricsOptions> options, TimeProvider time) : IMetricsProvider
{
    public const string HttpClientName = "prometheus";

    public async Task<MetricValue> QueryAsync(MetricQuery query, CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        using var doc = await GetAsync($"api/v1/query?query={Uri.EscapeDataString(query.PromQl)}&time={at.ToString("0.###", CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false);
        var data = doc.RootElement.GetProperty("data");
        var result = data.GetProperty("result");
        var sample = data.GetProperty("resultType").GetString() switch
        {
            "scalar" => result,
            "vector" when result.GetArrayLength() > 0 => result[0].GetProperty("value"),
            "vector" => default,
            var other => throw new InvalidOperationException($"Prometheus answered a {other} for '{query.Metric}': analysis queries must give a scalar or an instant vector."),
        };
        if (sample.ValueKind != JsonValueKind.Array)
        {
            return new MetricValue(null, "the query returned no series");
        }

        var value = Parse(sample[1].GetString());
        return double.IsFinite(value) ? new MetricValue(value, null) : new MetricValue(null, $"the query returned {sample[1].GetString()}");
    }

    public async Task<MetricSample> SampleAsync(MetricQuery query, string? address, CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        var baseUrl = options.Value.Allows(address) ? address!.Trim() : null;
        using var doc = await GetAsync($"api/v1/query?query={Uri.EscapeDataString(query.PromQl)}&time={at.ToString("0.###", CultureInfo.InvariantCulture)}", cancellationToken, baseUrl).ConfigureAwait(false);
        var data = doc.RootElement.GetProperty("data");
        var result = data.GetProperty("result");
        var used = baseUrl ?? options.Value.PrometheusUrl;
        switch (data.GetProperty("resultType").GetString())
        {
            case "scalar":
                var scalar = Parse(result[1].GetString());
                return new MetricSample(double.IsNaN(scalar) ? null : scalar, null, double.IsNaN(scalar) ? "the query returned NaN" : null, used);
            case "vector":
                var values = result.EnumerateArray().Select(s => Parse(s.GetProperty("value")[1].GetString())).ToList();
                var first = values.Count > 0 && double.IsFinite(values[0]) ? values[0] : (double?)null;
                return new MetricSample(first, values, values.Count == 0 ? "the query returned no series" : null, used);
            case var other:
                throw new InvalidOperationException($"Prometheus answered a {other} for '{query.Metric}': analysis queries must give a scalar or an instant vector.");
        }
    }

    public async Task<IReadOnlyList<(DateTimeOffset At, double Value)>> QueryRangeAsync(string promQl, DateTimeOffset start, DateTimeOffset end, TimeSpan step, CancellationToken cancellationToken)
    {
        var url = $"api/v1/query_range?query={Uri.EscapeDataString(promQl)}&start={start.ToUnixTimeSeconds()}&end={end.ToUnixTimeSeconds()}&step={Math.Max(1, (int)step.TotalSeconds)}s";
        using var doc = await GetAsync(url, cancellationToken).ConfigureAwait(false);
        var list = new List<(DateTimeOffset, double)>();
        foreach (var series in doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Take(1))
        {
            foreach (var v in series.GetProperty("values").EnumerateArray())
            {
                list.Add((DateTimeOffset.FromUnixTimeMilliseconds((long)(v[0].GetDouble() * 1000)), Parse(v[1].GetString())));
            }
        }

        return list;
    }

    public async Task<IReadOnlyList<AlertInfo>> GetAlertsAsync(string app, string? ns, CancellationToken cancellationToken)
    {
        using var doc = await GetAsync("api/v1/alerts", cancellationToken).ConfigureAwait(false);
        var list = new List<AlertInfo>();
        foreach (var a in doc.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray())
        {
            var labels = a.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal);
            var forApp = new[] { "app", "service", "component", "app_kubernetes_io_name" }.Any(k => labels.TryGetValue(k, out var v) && v == app);
            if (!forApp || (ns is not null && labels.TryGetValue("namespace", out var n) && n != ns))
            {
                continue;
            }

            var annotations = a.TryGetProperty("annotations", out var an) ? an : default;
            var summary = annotations.ValueKind == JsonValueKind.Object && (annotations.TryGetProperty("summary", out var s) || annotations.TryGetProperty("description", out s)) ? s.GetString() : null;
            var since = a.TryGetProperty("activeAt", out var at) && DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : time.GetUtcNow();
            list.Add(new AlertInfo(labels.GetValueOrDefault("alertname", "alert"), labels.GetValueOrDefault("severity", "none"), a.GetProperty("state").GetString() ?? "firing", summary ?? string.Empty, since, labels));
        }

        return list;
    }

    private async Task<JsonDocument> GetAsync(string relative, CancellationToken cancellationToken, string? allowedAddress = null)
    {
        var baseUrl = allowedAddress ?? options.Value.PrometheusUrl ?? throw new InvalidOperationException("Metrics:PrometheusUrl is not set.");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(baseUrl.TrimEnd('/') + "/"), relative));
        if (allowedAddress is null && options.Value.PrometheusToken is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException) when (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Prometheus answered {(int)response.StatusCode} to {relative.Split('?')[0]}.", null, response.StatusCode);
        }

        if (!doc.RootElement.TryGetProperty("status", out var status) || status.GetString() != "success")
        {
            var error = doc.RootElement.TryGetProperty("error", out var e) ? e.GetString() : "no status";
            doc.Dispose();
            throw new HttpRequestException($"Prometheus answered {(int)response.StatusCode} to {relative.Split('?')[0]}: {error}", null, response.StatusCode);
        }

        return doc;
    }

    private static double Parse(string? text) => text switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.Parse(text ?? "NaN", NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
