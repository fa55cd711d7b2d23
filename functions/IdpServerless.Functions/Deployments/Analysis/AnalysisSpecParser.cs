using System.Globalization;
using IdpServerless.Functions.Deployments.Model;
using static IdpServerless.Functions.Deployments.Model.EnvironmentParser;

namespace IdpServerless.Functions.Deployments.Analysis;

/// <summary>
/// Reads Argo Rollouts' analysis fields where the strategy parser meets them: a metric's <c>interval</c>, <c>count</c>,
/// <c>initialDelay</c>, conditions and limits (in <c>strategy.metrics</c> and in AnalysisTemplates alike), and a step's
/// <c>templates: [{templateName, clusterScope}]</c>, <c>args</c> and <c>dryRun</c>. Errors are keyed by field path.
/// </summary>
public static class AnalysisSpecParser
{
    private static readonly ExprConditionEvaluator Conditions = new();

    /// <summary>True when the metric is written with Argo's conditions (then comparison and threshold are not needed).</summary>
    public static bool HasConditions(Dictionary<object, object?>? map) =>
        Str(map, "successCondition") is not null || Str(map, "failureCondition") is not null;

    /// <summary>The metric with the Argo fields of <paramref name="map"/> read into it.</summary>
    public static AnalysisMetric ReadMetricFields(Dictionary<object, object?>? map, AnalysisMetric metric, string path, IDictionary<string, string[]> errors)
    {
        string? Condition(string key)
        {
            if (Str(map, key) is not { } text)
            {
                return null;
            }

            try
            {
                Conditions.Validate(text);
            }
            catch (ConditionException e)
            {
                Add(errors, $"{path}.{key}", e.Message);
            }

            return text;
        }

        TimeSpan? Duration(string key)
        {
            if (Str(map, key) is not { } text)
            {
                return null;
            }

            // Argo writes durations as 30s/5m/1h; a bare number is seconds (intstr).
            if (Durations.TryParse(text, out var d) || (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var secs) && secs >= 0 && (d = TimeSpan.FromSeconds(secs)) >= TimeSpan.Zero))
            {
                return d;
            }

            Add(errors, $"{path}.{key}", "must be a duration such as 30s or 5m");
            return null;
        }

        var dryRun = Str(map, "dryRun");
        if (dryRun is not null && !bool.TryParse(dryRun, out _))
        {
            Add(errors, $"{path}.dryRun", "must be true or false");
        }

        return metric with
        {
            SuccessCondition = Condition("successCondition") ?? metric.SuccessCondition,
            FailureCondition = Condition("failureCondition") ?? metric.FailureCondition,
            Interval = Duration("interval") ?? metric.Interval,
            InitialDelay = Duration("initialDelay") ?? metric.InitialDelay,
            Count = Int(map, "count", 1, 10_000, path, errors) ?? metric.Count,
            FailureLimit = Int(map, "failureLimit", -1, 10_000, path, errors) ?? metric.FailureLimit,
            InconclusiveLimit = Int(map, "inconclusiveLimit", 0, 10_000, path, errors) ?? metric.InconclusiveLimit,
            ConsecutiveErrorLimit = Int(map, "consecutiveErrorLimit", -1, 10_000, path, errors) ?? metric.ConsecutiveErrorLimit,
            ConsecutiveSuccessLimit = Int(map, "consecutiveSuccessLimit", 0, 10_000, path, errors) ?? metric.ConsecutiveSuccessLimit,
            DryRun = dryRun is not null && bool.TryParse(dryRun, out var dr) ? dr : metric.DryRun,
        };
    }

    /// <summary>A step's <c>templates</c> entries: names of metrics (strings) and Argo template references (<c>{templateName, clusterScope}</c>).</summary>
    public static (List<string> Names, List<AnalysisTemplateRef> Refs) ReadTemplates(object? value, string path, IDictionary<string, string[]> errors)
    {
        var (names, refs) = (new List<string>(), new List<AnalysisTemplateRef>());
        var items = value switch { string one => [one], List<object?> many => many, _ => [] };
        for (var j = 0; j < items.Count; j++)
        {
            switch (items[j])
            {
                case string s:
                    names.Add(s);
                    break;
                case Dictionary<object, object?> m when Str(m, "templateName") is { } t:
                    var cluster = Str(m, "clusterScope");
                    if (cluster is not null && !bool.TryParse(cluster, out _))
                    {
                        Add(errors, $"{path}[{j}].clusterScope", "must be true or false");
                    }

                    refs.Add(new AnalysisTemplateRef(t, cluster is not null && bool.TryParse(cluster, out var c) && c, $"{path}[{j}].templateName"));
                    break;
                default:
                    Add(errors, $"{path}[{j}]", "must be a metric name or {templateName: name, clusterScope: false}");
                    break;
            }
        }

        return (names, refs);
    }

    /// <summary>A step's <c>args: [{name, value}]</c> (<c>valueFrom</c> is not supported: secrets stay out of plans).</summary>
    public static List<AnalysisArg> ReadArgs(object? value, string path, IDictionary<string, string[]> errors)
    {
        var args = new List<AnalysisArg>();
        if (value is null)
        {
            return args;
        }

        if (value is not List<object?> list)
        {
            Add(errors, path, "must be a list of {name, value}");
            return args;
        }

        for (var i = 0; i < list.Count; i++)
        {
            var m = list[i] as Dictionary<object, object?>;
            if (Str(m, "name") is not { } name)
            {
                Add(errors, $"{path}[{i}].name", "is required");
                continue;
            }

            if (m!.ContainsKey("valueFrom"))
            {
                Add(errors, $"{path}[{i}].valueFrom", "is not supported: give the value (secrets never go into an analysis)");
                continue;
            }

            args.Add(new AnalysisArg(name, m.GetValueOrDefault("value")?.ToString()));
        }

        return args;
    }

    /// <summary>Argo's <c>dryRun: [{metricName: x}]</c> (the name may be a regular expression, <c>.*</c> for all).</summary>
    public static List<string> ReadDryRun(object? value, string path, IDictionary<string, string[]> errors)
    {
        var names = new List<string>();
        if (value is not List<object?> list)
        {
            if (value is not null)
            {
                Add(errors, path, "must be a list of {metricName: name}");
            }

            return names;
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (Str(list[i] as Dictionary<object, object?>, "metricName") is { } n)
            {
                names.Add(n);
            }
            else
            {
                Add(errors, $"{path}[{i}].metricName", "is required");
            }
        }

        return names;
    }

    /// <summary>True when <paramref name="metric"/> matches one of Argo's dry-run names (exact, or a full-match regular expression).</summary>
    public static bool IsDryRun(string metric, IReadOnlyList<string> patterns) => patterns.Any(p =>
        p == metric || System.Text.RegularExpressions.Regex.IsMatch(metric, $"^(?:{p})$", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(50)));

    /// <summary>
    /// The step's metrics for the Argo runner. Metrics written the portal's way (comparison and threshold) take the
    /// step's count, interval (also as the delay before the first measurement, as before), failureLimit and
    /// inconclusiveLimit; metrics written with Argo's conditions keep their own fields (null = Argo's default).
    /// </summary>
    public static List<AnalysisMetric> Resolve(IEnumerable<AnalysisMetric> metrics, AnalysisStep step, IReadOnlyList<string> dryRun) =>
        metrics.Select(m => (m.UsesConditions ? m : m with
        {
            Count = m.Count ?? step.Count,
            Interval = m.Interval ?? step.Interval,
            InitialDelay = m.InitialDelay ?? step.Interval,
            FailureLimit = m.FailureLimit ?? step.FailureLimit,
            InconclusiveLimit = m.InconclusiveLimit ?? step.InconclusiveLimit,
        }) is var r && IsDryRun(r.Name, dryRun) ? r with { DryRun = true } : r).ToList();

    private static int? Int(Dictionary<object, object?>? map, string key, int min, int max, string path, IDictionary<string, string[]> errors)
    {
        if (Str(map, key) is not { } text)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max)
        {
            return v;
        }

        Add(errors, $"{path}.{key}", $"must be an integer from {min} to {max}");
        return null;
    }
}
