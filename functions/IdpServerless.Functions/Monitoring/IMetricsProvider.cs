namespace IdpServerless.Functions.Monitoring;

/// <summary>
/// One analysis query: <see cref="PromQl"/> is what a Prometheus evaluates; <see cref="Metric"/> with app, namespace and
/// version lets the local provider answer built-in metrics from the simulated clusters.
/// </summary>
public sealed record MetricQuery(string Metric, string PromQl, string App, string Namespace, string Version, IReadOnlyList<string> Clusters)
{
    /// <summary>
    /// Fills an analysis query's placeholders: <c>{{app}}</c>, <c>{{namespace}}</c>, <c>{{version}}</c>, <c>{{window}}</c>
    /// and, for a judgement's tracks, <c>{{track}}</c> (left as written when <paramref name="track"/> is null).
    /// </summary>
    public static string Expand(string query, string app, string @namespace, string version, string window, string? track = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        var expanded = query.Replace("{{app}}", app, StringComparison.Ordinal)
            .Replace("{{namespace}}", @namespace, StringComparison.Ordinal)
            .Replace("{{version}}", version, StringComparison.Ordinal)
            .Replace("{{window}}", window, StringComparison.Ordinal);
        return track is null ? expanded : expanded.Replace("{{track}}", track, StringComparison.Ordinal);
    }
}

/// <summary>A query's value now; null Value means no data (no traffic, NaN, empty vector) with the reason.</summary>
public sealed record MetricValue(double? Value, string? Reason);

/// <summary>
/// A query's raw result for Argo Rollouts-style conditions: <see cref="Scalar"/> for a scalar (or the first series of a
/// vector, null when NaN or missing), <see cref="Vector"/> with every series' value when Prometheus answered a vector.
/// </summary>
public sealed record MetricSample(double? Scalar, IReadOnlyList<double>? Vector, string? Reason, string? Address = null);

/// <summary>A firing or pending alert.</summary>
public sealed record AlertInfo(string Name, string Severity, string State, string Summary, DateTimeOffset Since, IReadOnlyDictionary<string, string> Labels);

/// <summary>
/// Metrics and alerts. Real provider: the Prometheus HTTP API (<c>/api/v1/query</c>, <c>/api/v1/query_range</c>,
/// <c>/api/v1/alerts</c>). Local provider (default): answers from the simulated clusters.
/// </summary>
public interface IMetricsProvider
{
    Task<MetricValue> QueryAsync(MetricQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// The query's raw result (vectors kept whole). <paramref name="address"/> is an analysis template's own Prometheus
    /// address: a provider uses it only when it is allowed (Metrics:AllowedAnalysisAddresses), else its configured one.
    /// Throws when the query errors (the analysis counts it as an Error measurement).
    /// </summary>
    async Task<MetricSample> SampleAsync(MetricQuery query, string? address, CancellationToken cancellationToken)
    {
        var value = await QueryAsync(query, cancellationToken).ConfigureAwait(false);
        return new MetricSample(value.Value, null, value.Reason);
    }

    /// <summary>Values of the query between two instants (range query), oldest first.</summary>
    Task<IReadOnlyList<(DateTimeOffset At, double Value)>> QueryRangeAsync(string promQl, DateTimeOffset start, DateTimeOffset end, TimeSpan step, CancellationToken cancellationToken);

    /// <summary>Alerts whose labels name the app (<c>app</c>, <c>service</c> or <c>component</c>) and, when given, the namespace.</summary>
    Task<IReadOnlyList<AlertInfo>> GetAlertsAsync(string app, string? ns, CancellationToken cancellationToken);
}
