using System.Globalization;
using IdpServerless.Functions.Deployments.Analysis;
using static IdpServerless.Functions.Deployments.Model.EnvironmentParser;

namespace IdpServerless.Functions.Deployments.Model;

/// <summary>Reads and validates an environment's <c>strategy</c> (rolling, blueGreen, canary with steps and analysis).</summary>
public static class StrategyParser
{
    public const string SuccessRate = "success-rate";
    public const string LatencyP99 = "latency-p99";

    /// <summary>Built-in success rate: share of non-5xx responses of the version over the window.</summary>
    public const string SuccessRateQuery =
        "sum(rate(http_requests_total{app=\"{{app}}\",namespace=\"{{namespace}}\",version=\"{{version}}\",code!~\"5..\"}[{{window}}]))" +
        " / sum(rate(http_requests_total{app=\"{{app}}\",namespace=\"{{namespace}}\",version=\"{{version}}\"}[{{window}}]))";

    /// <summary>Built-in p99 latency in seconds of the version over the window.</summary>
    public const string LatencyP99Query =
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app=\"{{app}}\",namespace=\"{{namespace}}\",version=\"{{version}}\"}[{{window}}])))";

    private static readonly string[] Comparisons = [">=", "<=", ">", "<"];

    public static IReadOnlyDictionary<string, AnalysisMetric> BuiltInMetrics(DeploymentOptions options) => new Dictionary<string, AnalysisMetric>(StringComparer.Ordinal)
    {
        [SuccessRate] = new(SuccessRate, SuccessRateQuery, ">=", options.SuccessRateThreshold),
        [LatencyP99] = new(LatencyP99, LatencyP99Query, "<=", options.LatencyP99Threshold),
    };

    public static DeliveryStrategy Read(object? value, string path, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        var map = value as Dictionary<object, object?>;
        var type = value as string ?? Str(map, "type") ?? StrategyTypes.Rolling;
        if (value is not null and not string and not Dictionary<object, object?>)
        {
            Add(errors, path, "must be a strategy name or {type, steps, ...}");
        }

        if (type is not (StrategyTypes.Rolling or StrategyTypes.BlueGreen or StrategyTypes.Canary))
        {
            Add(errors, $"{path}.type", $"'{type}' is not one of rolling, blueGreen, canary");
            type = StrategyTypes.Rolling;
        }

        var metrics = ReadMetrics(map?.GetValueOrDefault("metrics"), $"{path}.metrics", options, errors);
        var steps = new List<CanaryStep>();
        if (type == StrategyTypes.Canary)
        {
            var raw = map?.GetValueOrDefault("steps");
            if (raw is null)
            {
                var analysis = DefaultAnalysis(options);
                steps.AddRange([new(SetWeight: 20), new(Analysis: analysis), new(SetWeight: 50), new(Analysis: analysis)]);
            }
            else if (raw is List<object?> list && list.Count > 0)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (ReadStep(list[i], $"{path}.steps[{i}]", metrics, options, errors) is { } step)
                    {
                        steps.Add(step);
                    }
                }
            }
            else
            {
                Add(errors, $"{path}.steps", "must be a non-empty list of steps");
            }
        }
        else if (map?.ContainsKey("steps") == true)
        {
            Add(errors, $"{path}.steps", "steps apply to the canary strategy only");
        }

        var autoPromote = Str(map, "autoPromote") is not { } ap || !bool.TryParse(ap, out var apv) || apv;
        if (Str(map, "autoPromote") is { } apText && !bool.TryParse(apText, out _))
        {
            Add(errors, $"{path}.autoPromote", "must be true or false");
        }

        var scaleDown = options.ScaleDownDelay;
        if (Str(map, "scaleDownDelay") is { } sd && !Durations.TryParse(sd, out scaleDown))
        {
            Add(errors, $"{path}.scaleDownDelay", "must be a duration such as 30s or 10m");
        }

        AnalysisStep? pre = null;
        if (map?.GetValueOrDefault("prePromotionAnalysis") is { } preRaw)
        {
            pre = ReadAnalysis(preRaw, $"{path}.prePromotionAnalysis", metrics, options, errors);
        }

        var abortScaleDown = type == StrategyTypes.Canary ? CanaryStepParser.ReadAbortScaleDownDelay(map, path, options, errors) : TimeSpan.Zero;
        var post = map?.GetValueOrDefault("postPromotionAnalysis") is { } postRaw ? ReadAnalysis(postRaw, $"{path}.postPromotionAnalysis", metrics, options, errors) : null;
        var background = map?.GetValueOrDefault("analysis") is { } bgRaw ? ReadAnalysis(bgRaw, $"{path}.analysis", metrics, options, errors) : null;
        if (background is not null && type != StrategyTypes.Canary)
        {
            Add(errors, $"{path}.analysis", "background analysis applies to the canary strategy only");
        }
        else if (background is { StartingStep: { } start } && start >= Math.Max(1, steps.Count))
        {
            Add(errors, $"{path}.analysis.startingStep", $"must be a step index from 0 to {steps.Count - 1}");
        }

        if (post is not null && type != StrategyTypes.BlueGreen)
        {
            Add(errors, $"{path}.postPromotionAnalysis", "applies to the blueGreen strategy only");
        }

        return new DeliveryStrategy(type, steps, metrics, autoPromote, scaleDown, pre, abortScaleDown, post, background);
    }

    public static AnalysisStep DefaultAnalysis(DeploymentOptions options) =>
        new([SuccessRate, LatencyP99], FailureLimit: 0, InconclusiveLimit: 1, options.AnalysisCount, options.AnalysisInterval);

    private static CanaryStep? ReadStep(object? value, string path, IReadOnlyDictionary<string, AnalysisMetric> metrics, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        if (value is not Dictionary<object, object?> map || map.Count != 1)
        {
            Add(errors, path, "must have exactly one of setWeight, pause, analysis, judgement, setCanaryScale, setHeaderRoute");
            return null;
        }

        var (key, body) = (map.Keys.First().ToString(), map.Values.First());
        switch (key)
        {
            case "setWeight":
                if (body is string w && int.TryParse(w, NumberStyles.Integer, CultureInfo.InvariantCulture, out var weight) && weight is >= 0 and <= 100)
                {
                    return new CanaryStep(SetWeight: weight);
                }

                Add(errors, $"{path}.setWeight", "must be an integer from 0 to 100");
                return null;
            case "pause":
                var pauseMap = body as Dictionary<object, object?>;
                if (body is not null and not Dictionary<object, object?> && !(body is string e && e.Length == 0))
                {
                    Add(errors, $"{path}.pause", "must be {} (until promoted) or {duration: 30s}");
                    return null;
                }

                if (Str(pauseMap, "duration") is { } d)
                {
                    if (Durations.TryParse(d, out var duration))
                    {
                        return new CanaryStep(Pause: new PauseStep(duration));
                    }

                    Add(errors, $"{path}.pause.duration", "must be a duration such as 30s or 10m");
                    return null;
                }

                return new CanaryStep(Pause: new PauseStep(null));
            case "analysis":
                return ReadAnalysis(body, $"{path}.analysis", metrics, options, errors) is { } a ? new CanaryStep(Analysis: a) : null;
            case "judgement":
                return CanaryStepParser.ReadJudgement(body, $"{path}.judgement", options, errors);
            case "setCanaryScale":
                return CanaryStepParser.ReadCanaryScale(body, $"{path}.setCanaryScale", errors);
            case "setHeaderRoute":
                return CanaryStepParser.ReadHeaderRoute(body, $"{path}.setHeaderRoute", errors);
            default:
                Add(errors, path, $"'{key}' is not a step: use setWeight, pause, analysis, judgement, setCanaryScale or setHeaderRoute");
                return null;
        }
    }

    internal static AnalysisStep? ReadAnalysis(object? value, string path, IReadOnlyDictionary<string, AnalysisMetric> metrics, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        var defaults = DefaultAnalysis(options);
        var map = value as Dictionary<object, object?>;
        if (value is not null and not Dictionary<object, object?> && !(value is string s && s.Length == 0))
        {
            Add(errors, path, "must be {templates: [...], failureLimit: n}");
            return null;
        }

        var (names, refs) = map?.GetValueOrDefault("templates") is { } rawTemplates
            ? AnalysisSpecParser.ReadTemplates(rawTemplates, $"{path}.templates", errors)
            : (defaults.Templates.ToList(), []);
        IReadOnlyList<string> templates = [.. names, .. refs.Select(r => r.TemplateName)];
        if (templates.Count == 0)
        {
            Add(errors, $"{path}.templates", "must name at least one metric");
        }

        foreach (var t in names.Where(t => !metrics.ContainsKey(t)))
        {
            Add(errors, $"{path}.templates", $"'{t}' is neither a built-in metric ({SuccessRate}, {LatencyP99}) nor declared under strategy.metrics");
        }

        var failureLimit = Int(map, "failureLimit", defaults.FailureLimit, -1, 100, path, errors);
        var inconclusiveLimit = Int(map, "inconclusiveLimit", defaults.InconclusiveLimit, 0, 100, path, errors);
        var count = Int(map, "count", defaults.Count, 1, 100, path, errors);
        var interval = defaults.Interval;
        if (Str(map, "interval") is { } i && !Durations.TryParse(i, out interval))
        {
            Add(errors, $"{path}.interval", "must be a duration such as 1s or 30s");
        }

        var step = new AnalysisStep(templates, failureLimit, inconclusiveLimit, count, interval);
        var dryRun = AnalysisSpecParser.ReadDryRun(map?.GetValueOrDefault("dryRun"), $"{path}.dryRun", errors);
        int? startingStep = Str(map, "startingStep") is not null ? Int(map, "startingStep", 0, 0, 100, path, errors) : null;
        return step with
        {
            Metrics = AnalysisSpecParser.Resolve(names.Where(metrics.ContainsKey).Select(n => metrics[n]), step, dryRun),
            TemplateRefs = refs.Count > 0 ? refs : null,
            Args = map?.ContainsKey("args") == true ? AnalysisSpecParser.ReadArgs(map["args"], $"{path}.args", errors) : null,
            DryRun = dryRun.Count > 0 ? dryRun : null,
            StartingStep = startingStep,
        };
    }

    private static Dictionary<string, AnalysisMetric> ReadMetrics(object? value, string path, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        var metrics = new Dictionary<string, AnalysisMetric>(BuiltInMetrics(options), StringComparer.Ordinal);
        if (value is null)
        {
            return metrics;
        }

        if (value is not List<object?> list)
        {
            Add(errors, path, "must be a list of {name, query, comparison, threshold}");
            return metrics;
        }

        for (var i = 0; i < list.Count; i++)
        {
            var map = list[i] as Dictionary<object, object?>;
            var name = Str(map, "name");
            if (name is null)
            {
                Add(errors, $"{path}[{i}].name", "is required");
                continue;
            }

            metrics.TryGetValue(name, out var builtIn);
            var query = Str(map, "query") ?? builtIn?.Query;
            var comparison = Str(map, "comparison") ?? builtIn?.Comparison ?? ">=";
            if (query is null)
            {
                Add(errors, $"{path}[{i}].query", "is required for a custom metric (PromQL)");
                continue;
            }

            if (AnalysisSpecParser.HasConditions(map))
            {
                // Argo Rollouts' form: conditions over result decide, no comparison or threshold.
                metrics[name] = AnalysisSpecParser.ReadMetricFields(map, new AnalysisMetric(name, query, string.Empty, 0), $"{path}[{i}]", errors);
                continue;
            }

            if (!Comparisons.Contains(comparison))
            {
                Add(errors, $"{path}[{i}].comparison", "must be one of >=, <=, >, <");
                continue;
            }

            if (!double.TryParse(Str(map, "threshold") ?? builtIn?.Threshold.ToString(CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out var threshold))
            {
                Add(errors, $"{path}[{i}].threshold", "must be a number");
                continue;
            }

            metrics[name] = AnalysisSpecParser.ReadMetricFields(map, new AnalysisMetric(name, query, comparison, threshold), $"{path}[{i}]", errors);
        }

        return metrics;
    }
}
