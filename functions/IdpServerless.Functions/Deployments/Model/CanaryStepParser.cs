using System.Globalization;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Judgement;
using static IdpServerless.Functions.Deployments.Model.EnvironmentParser;

namespace IdpServerless.Functions.Deployments.Model;

/// <summary>
/// Reads the canary steps beyond set-weight, pause and analysis: <c>judgement</c> (Kayenta's canary config: metrics
/// with direction, weight, critical and effect size; <c>scoreThresholds</c>), <c>setCanaryScale</c> and
/// <c>setHeaderRoute</c> (Argo Rollouts' fields). Errors are keyed by the field's path.
/// </summary>
public static class CanaryStepParser
{
    public const string ErrorRate = "error-rate";

    /// <summary>Built-in judgement metric: share of 5xx responses of the track over the window.</summary>
    public const string ErrorRateQuery =
        "sum(rate(http_requests_total{app=\"{{app}}\",namespace=\"{{namespace}}\",track=\"{{track}}\",code=~\"5..\"}[{{window}}]))" +
        " / sum(rate(http_requests_total{app=\"{{app}}\",namespace=\"{{namespace}}\",track=\"{{track}}\"}[{{window}}]))";

    /// <summary>Built-in judgement metric: p99 latency in seconds of the track over the window.</summary>
    public const string LatencyQuery =
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app=\"{{app}}\",namespace=\"{{namespace}}\",track=\"{{track}}\"}[{{window}}])))";

    public static IReadOnlyDictionary<string, JudgementMetric> BuiltInMetrics { get; } = new Dictionary<string, JudgementMetric>(StringComparer.Ordinal)
    {
        [ErrorRate] = new(ErrorRate, ErrorRateQuery, Directions.Increase, 1, false),
        [StrategyParser.LatencyP99] = new(StrategyParser.LatencyP99, LatencyQuery, Directions.Increase, 1, false),
    };

    public static CanaryStep? ReadJudgement(object? value, string path, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        var map = value as Dictionary<object, object?>;
        if (value is not null and not Dictionary<object, object?> && !(value is string s && s.Length == 0))
        {
            Add(errors, path, "must be {metrics: [...], interval, lifetime, scoreThresholds: {pass, marginal}}");
            return null;
        }

        var metrics = new List<JudgementMetric>();
        switch (map?.GetValueOrDefault("metrics"))
        {
            case null:
                metrics.AddRange(BuiltInMetrics.Values);
                break;
            case List<object?> list when list.Count > 0:
                for (var i = 0; i < list.Count; i++)
                {
                    if (ReadMetric(list[i], $"{path}.metrics[{i}]", errors) is { } m)
                    {
                        metrics.Add(m);
                    }
                }

                foreach (var dup in metrics.GroupBy(m => m.Name).Where(g => g.Count() > 1))
                {
                    Add(errors, $"{path}.metrics", $"'{dup.Key}' is listed more than once");
                }

                break;
            default:
                Add(errors, $"{path}.metrics", "must be a non-empty list of {name, query, direction, weight, critical}");
                break;
        }

        var interval = options.AnalysisInterval;
        if (Str(map, "interval") is { } iv && !(Durations.TryParse(iv, out interval) && interval > TimeSpan.Zero))
        {
            Add(errors, $"{path}.interval", "must be a positive duration such as 10s");
        }

        var lifetime = interval * 10;
        if (Str(map, "lifetime") is { } l && !Durations.TryParse(l, out lifetime))
        {
            Add(errors, $"{path}.lifetime", "must be a duration such as 5m");
        }
        else if (interval > TimeSpan.Zero && lifetime < interval * JudgementScorer.MinSamples)
        {
            Add(errors, $"{path}.lifetime", $"must cover at least {JudgementScorer.MinSamples} intervals ({Durations.Format(interval * JudgementScorer.MinSamples)}) so each side has enough samples");
        }

        var thresholds = map?.GetValueOrDefault("scoreThresholds") as Dictionary<object, object?>;
        if (map?.GetValueOrDefault("scoreThresholds") is not null && thresholds is null)
        {
            Add(errors, $"{path}.scoreThresholds", "must be {pass: 75, marginal: 50}");
        }

        var pass = Number(thresholds, "pass", 75, $"{path}.scoreThresholds", errors);
        var marginal = Number(thresholds, "marginal", 50, $"{path}.scoreThresholds", errors);
        if (marginal > pass)
        {
            Add(errors, $"{path}.scoreThresholds.marginal", $"must not be above pass ({pass.ToString(CultureInfo.InvariantCulture)})");
        }

        return new CanaryStep(Judgement: new JudgementStep(metrics, interval, lifetime, new ScoreThresholds(pass, marginal)));
    }

    private static JudgementMetric? ReadMetric(object? value, string path, IDictionary<string, string[]> errors)
    {
        var map = value as Dictionary<object, object?>;
        if (Str(map, "name") is not { } name)
        {
            Add(errors, $"{path}.name", "is required");
            return null;
        }

        BuiltInMetrics.TryGetValue(name, out var builtIn);
        var query = Str(map, "query") ?? builtIn?.Query;
        if (query is null)
        {
            Add(errors, $"{path}.query", $"is required for a metric that is not built in ({ErrorRate}, {StrategyParser.LatencyP99}): PromQL with {{{{track}}}}");
            return null;
        }

        if (!query.Contains("{{track}}", StringComparison.Ordinal) && !query.Contains("{{version}}", StringComparison.Ordinal))
        {
            Add(errors, $"{path}.query", "must use {{track}} (or {{version}}) so canary and baseline are measured apart");
            return null;
        }

        var direction = Str(map, "direction") ?? builtIn?.Direction ?? Directions.Either;
        if (!Directions.IsKnown(direction))
        {
            Add(errors, $"{path}.direction", "must be one of increase, decrease, either");
            return null;
        }

        var weight = Number(map, "weight", 1, path, errors);
        if (weight <= 0)
        {
            Add(errors, $"{path}.weight", "must be a positive number");
        }

        var critical = false;
        if (Str(map, "critical") is { } c && !bool.TryParse(c, out critical))
        {
            Add(errors, $"{path}.critical", "must be true or false");
        }

        var effect = map?.GetValueOrDefault("effectSize") as Dictionary<object, object?>;
        var up = Number(effect, "allowedIncrease", 1, $"{path}.effectSize", errors);
        var down = Number(effect, "allowedDecrease", 1, $"{path}.effectSize", errors);
        if (up < 1)
        {
            Add(errors, $"{path}.effectSize.allowedIncrease", "must be 1 or more (a ratio of canary to baseline median)");
        }

        if (down is > 1 or <= 0)
        {
            Add(errors, $"{path}.effectSize.allowedDecrease", "must be above 0 and at most 1 (a ratio of canary to baseline median)");
        }

        return new JudgementMetric(name, query, direction, weight, critical, up, down);
    }

    public static CanaryStep? ReadCanaryScale(object? value, string path, IDictionary<string, string[]> errors)
    {
        var map = value as Dictionary<object, object?>;
        var given = new[] { "replicas", "weight", "matchTrafficWeight" }.Where(k => map?.ContainsKey(k) == true).ToList();
        if (map is null || given.Count != 1 || map.Count != 1)
        {
            Add(errors, path, "must have exactly one of replicas, weight, matchTrafficWeight");
            return null;
        }

        var text = Str(map, given[0]);
        switch (given[0])
        {
            case "replicas" when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r is >= 0 and <= 1000:
                return new CanaryStep(SetCanaryScale: new CanaryScaleStep(Replicas: r));
            case "weight" when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var w) && w is >= 0 and <= 100:
                return new CanaryStep(SetCanaryScale: new CanaryScaleStep(Weight: w));
            case "matchTrafficWeight" when text == "true":
                return new CanaryStep(SetCanaryScale: new CanaryScaleStep(MatchTrafficWeight: true));
            case "replicas":
                Add(errors, $"{path}.replicas", "must be an integer from 0 to 1000");
                return null;
            case "weight":
                Add(errors, $"{path}.weight", "must be an integer from 0 to 100 (a share of the environment's replicas)");
                return null;
            default:
                Add(errors, $"{path}.matchTrafficWeight", "must be true");
                return null;
        }
    }

    public static CanaryStep? ReadHeaderRoute(object? value, string path, IDictionary<string, string[]> errors)
    {
        var map = value as Dictionary<object, object?>;
        if (Str(map, "name") is not { } name || !System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))
        {
            Add(errors, $"{path}.name", "is required: a DNS label such as header-route-1");
            return null;
        }

        var matches = new List<HeaderMatch>();
        var raw = map!.GetValueOrDefault("match");
        if (raw is not null and not List<object?> && !(raw is string e && e.Length == 0))
        {
            Add(errors, $"{path}.match", "must be a list of {headerName, headerValue: {exact|prefix|regex}} (empty removes the route)");
            return null;
        }

        var list = raw as List<object?> ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            var at = $"{path}.match[{i}]";
            var m = list[i] as Dictionary<object, object?>;
            if (Str(m, "headerName") is not { } header)
            {
                Add(errors, $"{at}.headerName", "is required");
                continue;
            }

            var hv = m!.GetValueOrDefault("headerValue") as Dictionary<object, object?>;
            var kinds = hv?.Keys.Select(k => k.ToString()!).ToList() ?? [];
            if (kinds.Count != 1 || !HeaderMatchTypes.IsKnown(kinds[0]) || Str(hv, kinds[0]) is not { } v)
            {
                Add(errors, $"{at}.headerValue", "must have exactly one of exact, prefix, regex with a non-empty value");
                continue;
            }

            if (kinds[0] == HeaderMatchTypes.Regex && !IsRegex(v))
            {
                Add(errors, $"{at}.headerValue.regex", "is not a valid regular expression");
                continue;
            }

            matches.Add(new HeaderMatch(header, kinds[0], v));
        }

        return new CanaryStep(SetHeaderRoute: new HeaderRouteStep(name, matches));
    }

    /// <summary>Argo Rollouts' <c>abortScaleDownDelaySeconds</c> as a duration; the product's default is Argo's 30s.</summary>
    public static TimeSpan ReadAbortScaleDownDelay(Dictionary<object, object?>? map, string path, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        var delay = options.AbortScaleDownDelay;
        if (Str(map, "abortScaleDownDelay") is { } text && !(Durations.TryParse(text, out delay) && delay >= TimeSpan.Zero))
        {
            Add(errors, $"{path}.abortScaleDownDelay", "must be a duration such as 30s (0s scales the canary down at once)");
            delay = options.AbortScaleDownDelay;
        }

        return delay;
    }

    private static bool IsRegex(string pattern)
    {
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(100));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static double Number(Dictionary<object, object?>? map, string key, double fallback, string path, IDictionary<string, string[]> errors)
    {
        if (Str(map, key) is not { } text)
        {
            return fallback;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v is >= 0 and <= 100)
        {
            return v;
        }

        Add(errors, $"{path}.{key}", "must be a number from 0 to 100");
        return fallback;
    }
}
