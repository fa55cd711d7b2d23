using System.Text;
using System.Text.RegularExpressions;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Git;
using IdpServerless.Hosting.Problems;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using static IdpServerless.Functions.Deployments.Model.EnvironmentParser;

namespace IdpServerless.Functions.Deployments.Analysis;

/// <summary>
/// Resolves the Argo Rollouts templates an environment's analysis steps name (<c>templates: [{templateName}]</c>) when a
/// deployment is accepted: reads every <c>*.yaml</c>/<c>*.yml</c> under the deployment repository's
/// <see cref="Folder"/> folder (branch of the environment), takes the documents of kind <c>AnalysisTemplate</c> (and
/// <c>ClusterAnalysisTemplate</c> for <c>clusterScope: true</c>), fills in <c>{{args.name}}</c>, and snapshots the
/// metrics into the plan, so a later change of the repository never changes a release under way (replays stay
/// deterministic). A missing template, a missing arg or an unsupported provider is a 422 naming the step's field.
/// </summary>
public sealed partial class AnalysisTemplateResolver(IGitProvider git)
{
    public const string Folder = "analysis";
    public const int MaxFileBytes = 256 * 1024;
    private static readonly IDeserializer Yaml = new DeserializerBuilder().Build();

    /// <summary>The environment with every template reference resolved into its steps' metrics (unchanged when none).</summary>
    public async Task<DeliveryEnvironment> ResolveAsync(DeliveryEnvironment env, CancellationToken cancellationToken)
    {
        var s = env.Strategy;
        if (!s.Steps.Any(x => x.Analysis?.TemplateRefs is not null) && s.PrePromotionAnalysis?.TemplateRefs is null && s.BackgroundAnalysis?.TemplateRefs is null && s.PostPromotionAnalysis?.TemplateRefs is null &&
            env.Waves?.Any(w => w.Analysis?.TemplateRefs is not null) != true)
        {
            return env;
        }

        var templates = await ReadAsync(env.DesiredState, cancellationToken).ConfigureAwait(false);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var steps = s.Steps.Select(step => step.Analysis?.TemplateRefs is null ? step : step with { Analysis = Resolve(step.Analysis, templates, errors) }).ToList();
        var pre = s.PrePromotionAnalysis?.TemplateRefs is null ? s.PrePromotionAnalysis : Resolve(s.PrePromotionAnalysis, templates, errors);
        var background = s.BackgroundAnalysis?.TemplateRefs is null ? s.BackgroundAnalysis : Resolve(s.BackgroundAnalysis, templates, errors);
        var post = s.PostPromotionAnalysis?.TemplateRefs is null ? s.PostPromotionAnalysis : Resolve(s.PostPromotionAnalysis, templates, errors);
        var waves = env.Waves?.Select(w => w.Analysis?.TemplateRefs is null ? w : w with { Analysis = Resolve(w.Analysis, templates, errors) }).ToList();
        if (errors.Count > 0)
        {
            throw ProblemException.Validation(errors, $"The analysis templates of {env.Name} cannot be used (read from {env.DesiredState.Repository} {env.DesiredState.Branch}:{Folder}/).");
        }

        return env with { Strategy = s with { Steps = steps, PrePromotionAnalysis = pre, PostPromotionAnalysis = post, BackgroundAnalysis = background }, Waves = waves };
    }

    /// <summary>Templates by (kind, name) from the repository's <see cref="Folder"/> folder.</summary>
    public async Task<Dictionary<(bool Cluster, string Name), Dictionary<object, object?>>> ReadAsync(DesiredStateLocation location, CancellationToken cancellationToken)
    {
        var found = new Dictionary<(bool, string), Dictionary<object, object?>>();
        IReadOnlyList<string> files;
        try
        {
            files = await git.ListFilesAsync(location.Repository, Folder + "/", location.Branch, cancellationToken).ConfigureAwait(false);
        }
        catch (GitNotFoundException)
        {
            // No repository (or branch) yet: no templates, and the step's reference names what is missing.
            return found;
        }

        foreach (var file in files.Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal))
        {
            var bytes = await git.ReadFileAsync(location.Repository, file, location.Branch, cancellationToken).ConfigureAwait(false);
            if (bytes is null || bytes.Length > MaxFileBytes)
            {
                continue;
            }

            foreach (var doc in Documents(Encoding.UTF8.GetString(bytes)))
            {
                var kind = Str(doc, "kind");
                var name = Str(doc.GetValueOrDefault("metadata") as Dictionary<object, object?>, "name");
                if (name is not null && kind is "AnalysisTemplate" or "ClusterAnalysisTemplate")
                {
                    found.TryAdd((kind == "ClusterAnalysisTemplate", name), doc);
                }
            }
        }

        return found;
    }

    /// <summary>The step with its templates' metrics (args filled in) appended to its own; errors keyed by the step's fields.</summary>
    public static AnalysisStep Resolve(AnalysisStep step, IReadOnlyDictionary<(bool Cluster, string Name), Dictionary<object, object?>> templates, IDictionary<string, string[]> errors)
    {
        var metrics = (step.Metrics ?? []).ToList();
        var given = (step.Args ?? []).ToDictionary(a => a.Name, a => a.Value, StringComparer.Ordinal);
        foreach (var r in step.TemplateRefs ?? [])
        {
            var field = r.Field ?? "templateName";
            var argsField = Regex.Replace(field, @"\.templates\[\d+\]\.templateName$", ".args");
            if (!templates.TryGetValue((r.ClusterScope, r.TemplateName), out var doc))
            {
                var other = templates.ContainsKey((!r.ClusterScope, r.TemplateName)) ? $" (there is a{(r.ClusterScope ? "n AnalysisTemplate" : " ClusterAnalysisTemplate")} of that name: {(r.ClusterScope ? "drop" : "set")} clusterScope: true)" : string.Empty;
                Add(errors, field, $"no {(r.ClusterScope ? "ClusterAnalysisTemplate" : "AnalysisTemplate")} named '{r.TemplateName}' in the deployment repository's {Folder}/ folder{other}");
                continue;
            }

            var spec = doc.GetValueOrDefault("spec") as Dictionary<object, object?>;
            var args = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var a in (spec?.GetValueOrDefault("args") as List<object?> ?? []).OfType<Dictionary<object, object?>>())
            {
                if (Str(a, "name") is { } n)
                {
                    args[n] = given.TryGetValue(n, out var v) ? v : a.GetValueOrDefault("value")?.ToString();
                    if (args[n] is null)
                    {
                        Add(errors, argsField, $"template '{r.TemplateName}' needs arg '{n}': pass it as {{name: {n}, value: ...}}");
                    }
                }
            }

            var list = spec?.GetValueOrDefault("metrics") as List<object?> ?? [];
            if (list.Count == 0)
            {
                Add(errors, field, $"template '{r.TemplateName}' has no spec.metrics");
            }

            var dryRun = (step.DryRun ?? []).Concat(AnalysisSpecParser.ReadDryRun(spec?.GetValueOrDefault("dryRun"), field, errors)).ToList();
            for (var i = 0; i < list.Count; i++)
            {
                if (ReadMetric(list[i] as Dictionary<object, object?>, r.TemplateName, i, field, args, dryRun, errors) is { } metric)
                {
                    if (metrics.Any(m => m.Name == metric.Name))
                    {
                        Add(errors, field, $"metric '{metric.Name}' of template '{r.TemplateName}' is already in this analysis (Argo Rollouts refuses duplicate metric names too)");
                        continue;
                    }

                    metrics.Add(metric);
                }
            }
        }

        return step with { Metrics = metrics };
    }

    private static AnalysisMetric? ReadMetric(Dictionary<object, object?>? map, string template, int index, string field, IReadOnlyDictionary<string, string?> args, IReadOnlyList<string> dryRun, IDictionary<string, string[]> errors)
    {
        var where = $"template '{template}' spec.metrics[{index}]";
        var name = Str(map, "name");
        var prometheus = (map?.GetValueOrDefault("provider") as Dictionary<object, object?>)?.GetValueOrDefault("prometheus") as Dictionary<object, object?>;
        if (name is null || prometheus is null || Str(prometheus, "query") is not { } query)
        {
            Add(errors, field, $"{where}: needs a name and provider.prometheus.query (only the Prometheus provider is supported)");
            return null;
        }

        if (prometheus.ContainsKey("rangeQuery"))
        {
            Add(errors, field, $"{where}: provider.prometheus.rangeQuery is not supported (use an instant query)");
            return null;
        }

        var filled = Substitute(query, args, where, field, errors);
        var address = Str(prometheus, "address") is { } a ? Substitute(a, args, where, field, errors) : null;
        var local = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var metric = AnalysisSpecParser.ReadMetricFields(map, new AnalysisMetric(name, filled, string.Empty, 0, Address: address), where, local);
        foreach (var (k, v) in local)
        {
            Add(errors, field, $"{k}: {string.Join("; ", v)}");
        }

        return AnalysisSpecParser.IsDryRun(name, dryRun) ? metric with { DryRun = true } : metric;
    }

    private static string Substitute(string text, IReadOnlyDictionary<string, string?> args, string where, string field, IDictionary<string, string[]> errors) =>
        ArgPattern().Replace(text, m =>
        {
            var name = m.Groups[1].Value;
            if (args.TryGetValue(name, out var v) && v is not null)
            {
                return v;
            }

            if (!args.ContainsKey(name))
            {
                Add(errors, field, $"{where}: uses {{{{args.{name}}}}}, which the template does not declare under spec.args");
            }

            return m.Value;
        });

    private static IEnumerable<Dictionary<object, object?>> Documents(string text)
    {
        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        var docs = new List<Dictionary<object, object?>>();
        try
        {
            while (parser.Accept<DocumentStart>(out _))
            {
                if (Yaml.Deserialize<object?>(parser) is Dictionary<object, object?> doc)
                {
                    docs.Add(doc);
                }
            }
        }
        catch (YamlException)
        {
            // A file that is not valid YAML holds no template we can use; the step's reference then names what is missing.
        }

        return docs;
    }

    [GeneratedRegex(@"\{\{\s*args\.([A-Za-z0-9_.\-]+)\s*\}\}")]
    private static partial Regex ArgPattern();
}
