using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace IdpServerless.Hosting.Observability;

/// <summary>
/// Serves the app's System.Diagnostics.Metrics instruments in Prometheus text format at <c>/metrics</c>
/// (prometheus-net and OpenTelemetry's Prometheus exporter cannot be restored here). Counters become
/// <c>_total</c>, histograms get cumulative buckets, gauges their last value.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private static readonly double[] Bounds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(Instrument Instrument, string Labels), Series> _series = new();
    private readonly HashSet<string> _meters;

    public PrometheusMetrics(IEnumerable<string> meterNames)
    {
        _meters = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_meters.Contains(instrument.Meter.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>The exposition text.</summary>
    public string Render()
    {
        _listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        foreach (var group in _series.GroupBy(kv => kv.Key.Instrument).OrderBy(g => g.Key.Name, StringComparer.Ordinal))
        {
            var instrument = group.Key;
            var name = Sanitize(instrument.Name);
            var kind = instrument switch
            {
                Counter<long> or Counter<double> or Counter<int> or ObservableCounter<long> or ObservableCounter<double> => "counter",
                Histogram<double> or Histogram<long> or Histogram<int> => "histogram",
                _ => "gauge",
            };
            var metric = kind == "counter" && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
            if (kind == "histogram" && instrument.Unit == "s" && !name.EndsWith("_seconds", StringComparison.Ordinal))
            {
                metric = name + "_seconds";
            }

            if (!string.IsNullOrEmpty(instrument.Description))
            {
                sb.Append("# HELP ").Append(metric).Append(' ').Append(instrument.Description.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
            }

            sb.Append("# TYPE ").Append(metric).Append(' ').Append(kind).Append('\n');
            foreach (var (key, series) in group.OrderBy(kv => kv.Key.Labels, StringComparer.Ordinal))
            {
                series.Write(sb, metric, key.Labels, kind);
            }
        }

        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        var isHistogram = instrument is Histogram<double> or Histogram<long> or Histogram<int>;
        var series = _series.GetOrAdd((instrument, labels), _ => new Series(isHistogram));
        var cumulative = instrument is Counter<long> or Counter<double> or Counter<int> or UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double>;
        series.Record(value, cumulative);
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return string.Empty;
        }

        var parts = new List<string>(tags.Length);
        foreach (var t in tags)
        {
            var v = Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? string.Empty;
            parts.Add($"{Sanitize(t.Key)}=\"{v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"");
        }

        parts.Sort(StringComparer.Ordinal);
        return string.Join(',', parts);
    }

    private static string Sanitize(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray();
        return new string(chars);
    }

    private sealed class Series(bool histogram)
    {
        private readonly Lock _gate = new();
        private readonly long[] _buckets = histogram ? new long[Bounds.Length] : [];
        private double _value;
        private double _sum;
        private long _count;

        public void Record(double value, bool cumulative)
        {
            lock (_gate)
            {
                if (histogram)
                {
                    _sum += value;
                    _count++;
                    for (var i = 0; i < Bounds.Length; i++)
                    {
                        if (value <= Bounds[i])
                        {
                            _buckets[i]++;
                        }
                    }
                }
                else if (cumulative)
                {
                    _value += value;
                }
                else
                {
                    _value = value;
                }
            }
        }

        public void Write(StringBuilder sb, string metric, string labels, string kind)
        {
            lock (_gate)
            {
                if (kind != "histogram")
                {
                    sb.Append(metric).Append(Wrap(labels)).Append(' ').Append(Format(_value)).Append('\n');
                    return;
                }

                for (var i = 0; i < Bounds.Length; i++)
                {
                    sb.Append(metric).Append("_bucket").Append(Wrap(Join(labels, $"le=\"{Format(Bounds[i])}\""))).Append(' ').Append(_buckets[i]).Append('\n');
                }

                sb.Append(metric).Append("_bucket").Append(Wrap(Join(labels, "le=\"+Inf\""))).Append(' ').Append(_count).Append('\n');
                sb.Append(metric).Append("_sum").Append(Wrap(labels)).Append(' ').Append(Format(_sum)).Append('\n');
                sb.Append(metric).Append("_count").Append(Wrap(labels)).Append(' ').Append(_count).Append('\n');
            }
        }

        private static string Join(string a, string b) => a.Length == 0 ? b : a + "," + b;

        private static string Wrap(string labels) => labels.Length == 0 ? string.Empty : "{" + labels + "}";

        private static string Format(double v) => v.ToString("G17", CultureInfo.InvariantCulture);
    }
}
