using System.Globalization;
using Cronos;
using IdpServerless.Functions.Deployments.Model;
using static IdpServerless.Functions.Deployments.Model.EnvironmentParser;

namespace IdpServerless.Functions.Deployments.Promotion;

/// <summary>
/// Reads an environment's pipeline keys (<c>promotion</c>, <c>approvals</c>, <c>freeze</c>; format in
/// docs/deployments.md) and checks them, every problem keyed by its path. <see cref="Resolve"/> then checks what
/// needs the whole list (which stage a promotion comes from).
/// </summary>
public static class PipelineParser
{
    private static readonly string[] PromotionKeys = ["auto", "from", "soak", "analysis", "afterRollback"];
    private static readonly string[] ApprovalKeys = ["required", "from"];
    private static readonly string[] AnalysisKeys = ["templates", "count", "interval", "failureLimit"];
    private static readonly string[] FreezeKeys = ["from", "to", "cron", "duration", "timeZone", "reason"];

    /// <summary>The stage's policy, or null when it declares none of the keys.</summary>
    public static StagePolicy? Read(Dictionary<object, object?>? map, string path, DeliveryStrategy strategy, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(options);
        if (map is null)
        {
            return null;
        }

        var promotion = map.TryGetValue("promotion", out var p) ? ReadPromotion(p, $"{path}.promotion", strategy, options, errors) : null;
        var approvals = map.TryGetValue("approvals", out var a) ? ReadApprovals(a, $"{path}.approvals", errors) : null;
        var freeze = map.TryGetValue("freeze", out var f) ? ReadFreeze(f, $"{path}.freeze", errors) : [];
        var policy = new StagePolicy(promotion, approvals, freeze);
        return policy.IsEmpty ? null : policy;
    }

    /// <summary>Fills in each promotion's <c>from</c> (default: the stage before) and checks it names an earlier stage.</summary>
    public static List<DeliveryEnvironment> Resolve(List<DeliveryEnvironment> sorted, IReadOnlyDictionary<string, string> paths, IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        ArgumentNullException.ThrowIfNull(paths);
        var result = new List<DeliveryEnvironment>(sorted.Count);
        for (var i = 0; i < sorted.Count; i++)
        {
            var env = sorted[i];
            if (env.Pipeline?.Promotion is not { } rule)
            {
                result.Add(env);
                continue;
            }

            var path = $"{paths.GetValueOrDefault(env.Name, env.Name)}.promotion.from";
            var from = rule.From.Length > 0 ? sorted.FirstOrDefault(e => string.Equals(e.Name, rule.From, StringComparison.OrdinalIgnoreCase)) : i > 0 ? sorted[i - 1] : null;
            if (from is null)
            {
                Add(errors, path, rule.From.Length > 0
                    ? $"'{rule.From}' is not an environment of this component"
                    : "the first environment has no stage before it to promote from: name one, or remove promotion");
            }
            else if (from.Order >= env.Order)
            {
                Add(errors, path, $"'{from.Name}' does not come before '{env.Name}' in the promotion order");
            }

            result.Add(env with { Pipeline = env.Pipeline with { Promotion = rule with { From = from?.Name ?? rule.From } } });
        }

        return result;
    }

    private static PromotionRule? ReadPromotion(object? value, string path, DeliveryStrategy strategy, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        if (value is string s && bool.TryParse(s, out var on))
        {
            return on ? new PromotionRule(true, string.Empty, TimeSpan.Zero, null, AfterRollback.Hold) : null;
        }

        if (value is not Dictionary<object, object?> map)
        {
            Add(errors, path, "must be true/false or {auto: true, from: <stage>, soak: 10m, analysis: {...}, afterRollback: hold|newer}");
            return null;
        }

        Unknown(map, PromotionKeys, path, errors);
        var auto = Bool(map, "auto", true, path, errors);
        var from = Str(map, "from") ?? string.Empty;
        var soak = TimeSpan.Zero;
        if (Str(map, "soak") is { } soakText && !Durations.TryParse(soakText, out soak))
        {
            Add(errors, $"{path}.soak", "must be a duration such as 90s, 10m or 2h (at most 30 days)");
        }

        var analysis = map.TryGetValue("analysis", out var a) && a is not null ? ReadAnalysis(a, $"{path}.analysis", strategy, options, errors) : null;
        var afterRollback = Str(map, "afterRollback") ?? AfterRollback.Hold;
        if (afterRollback is not (AfterRollback.Hold or AfterRollback.Newer))
        {
            Add(errors, $"{path}.afterRollback", $"must be '{AfterRollback.Hold}' or '{AfterRollback.Newer}'");
        }

        return new PromotionRule(auto, from, soak, analysis, afterRollback);
    }

    private static AnalysisStep? ReadAnalysis(object value, string path, DeliveryStrategy strategy, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        var defaults = StrategyParser.DefaultAnalysis(options);
        var map = value as Dictionary<object, object?>;
        var templates = value switch
        {
            string one => [one],
            List<object?> many => many.Select(x => x?.ToString() ?? string.Empty).ToList(),
            Dictionary<object, object?> => map!.GetValueOrDefault("templates") switch
            {
                null => defaults.Templates,
                string one => [one],
                List<object?> many => many.Select(x => x?.ToString() ?? string.Empty).ToList(),
                _ => [],
            },
            _ => [],
        };
        if (map is not null)
        {
            Unknown(map, AnalysisKeys, path, errors);
        }

        var templatesPath = map is null ? path : $"{path}.templates";
        if (templates.Count == 0)
        {
            Add(errors, templatesPath, "must name at least one metric");
        }

        foreach (var t in templates.Where(t => !strategy.Metrics.ContainsKey(t)))
        {
            Add(errors, templatesPath, $"'{t}' is neither a built-in metric nor declared under strategy.metrics");
        }

        var count = Int(map, "count", defaults.Count, 1, 100, path, errors);
        var failureLimit = Int(map, "failureLimit", 0, 0, 100, path, errors);
        var interval = defaults.Interval;
        if (Str(map, "interval") is { } i && !Durations.TryParse(i, out interval))
        {
            Add(errors, $"{path}.interval", "must be a duration such as 10s or 1m");
        }

        return new AnalysisStep(templates, failureLimit, 0, count, interval);
    }

    private static ApprovalPolicy? ReadApprovals(object? value, string path, IDictionary<string, string[]> errors)
    {
        var map = value as Dictionary<object, object?>;
        if (map is null && value is not string)
        {
            Add(errors, path, "must be a number of approvals or {required: n, from: [role:..., group:..., user:...]}");
            return null;
        }

        if (map is not null)
        {
            Unknown(map, ApprovalKeys, path, errors);
        }

        var required = map is null ? Int(new Dictionary<object, object?> { ["required"] = value }, "required", 1, 1, 10, path, errors) : Int(map, "required", 1, 1, 10, path, errors);
        var from = map?.GetValueOrDefault("from") switch
        {
            string one => [one],
            List<object?> many => many.Select(x => x?.ToString() ?? string.Empty).ToList(),
            null => [],
            _ => null,
        };
        if (from is null)
        {
            Add(errors, $"{path}.from", "must be a list of role:<name>, group:<ns>/<name> or user:<ns>/<name>");
            from = [];
        }

        foreach (var approver in from.Where(x => !x.StartsWith("role:", StringComparison.Ordinal) && !x.StartsWith("group:", StringComparison.Ordinal) && !x.StartsWith("user:", StringComparison.Ordinal)))
        {
            Add(errors, $"{path}.from", $"'{approver}' must be role:<name>, group:<ns>/<name> or user:<ns>/<name>");
        }

        return new ApprovalPolicy(required, from);
    }

    private static List<FreezeWindow> ReadFreeze(object? value, string path, IDictionary<string, string[]> errors)
    {
        var result = new List<FreezeWindow>();
        if (value is not List<object?> items)
        {
            Add(errors, path, "must be a list of {from, to, reason} or {cron, duration, timeZone, reason}");
            return result;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var at = $"{path}[{i}]";
            if (items[i] is not Dictionary<object, object?> map)
            {
                Add(errors, at, "must be {from, to, reason} or {cron, duration, timeZone, reason}");
                continue;
            }

            Unknown(map, FreezeKeys, at, errors);
            var reason = Str(map, "reason");
            if (Str(map, "cron") is { } cron)
            {
                if (ReadRecurring(map, cron, reason, at, errors) is { } recurring)
                {
                    result.Add(recurring);
                }

                continue;
            }

            var start = Time(map, "from", at, errors);
            var end = Time(map, "to", at, errors);
            if (start is { } s && end is { } e)
            {
                if (e <= s)
                {
                    Add(errors, $"{at}.to", "must be after from");
                    continue;
                }

                result.Add(new FreezeWindow(s, e, null, null, null, reason));
            }
        }

        return result;
    }

    private static FreezeWindow? ReadRecurring(Dictionary<object, object?> map, string cron, string? reason, string at, IDictionary<string, string[]> errors)
    {
        var ok = true;
        try
        {
            CronExpression.Parse(cron);
        }
        catch (CronFormatException e)
        {
            Add(errors, $"{at}.cron", $"is not a five-field cron expression: {e.Message}");
            ok = false;
        }

        var duration = TimeSpan.Zero;
        if (!Durations.TryParse(Str(map, "duration"), out duration) || duration <= TimeSpan.Zero)
        {
            Add(errors, $"{at}.duration", "is required with cron: a positive duration such as 2h or 62h (at most 30 days)");
            ok = false;
        }

        var zone = Str(map, "timeZone");
        try
        {
            FreezeCalendar.Zone(zone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            Add(errors, $"{at}.timeZone", $"'{zone}' is not a known time zone (use an IANA id such as Europe/Berlin)");
            ok = false;
        }

        return ok ? new FreezeWindow(null, null, cron, duration, zone, reason) : null;
    }

    private static DateTimeOffset? Time(Dictionary<object, object?> map, string key, string at, IDictionary<string, string[]> errors)
    {
        if (Str(map, key) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            return t;
        }

        Add(errors, $"{at}.{key}", "is required: a time such as 2026-12-24T00:00Z (or give cron and duration instead)");
        return null;
    }

    private static bool Bool(Dictionary<object, object?> map, string key, bool fallback, string path, IDictionary<string, string[]> errors)
    {
        if (Str(map, key) is not { } text)
        {
            return fallback;
        }

        if (bool.TryParse(text, out var b))
        {
            return b;
        }

        Add(errors, $"{path}.{key}", "must be true or false");
        return fallback;
    }

    private static void Unknown(Dictionary<object, object?> map, string[] known, string path, IDictionary<string, string[]> errors)
    {
        foreach (var key in map.Keys.Select(k => k.ToString() ?? string.Empty).Where(k => !known.Contains(k, StringComparer.Ordinal)))
        {
            Add(errors, $"{path}.{key}", $"is not a setting here: use {string.Join(", ", known)}");
        }
    }
}
