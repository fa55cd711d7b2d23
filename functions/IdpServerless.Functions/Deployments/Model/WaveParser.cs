using System.Text.RegularExpressions;
using static IdpServerless.Functions.Deployments.Model.EnvironmentParser;

namespace IdpServerless.Functions.Deployments.Model;

/// <summary>
/// Reads an environment's <c>waves</c> and <c>pauseBetweenWaves</c> (format in docs/deployments.md): every wave names
/// clusters of the environment, every cluster is in exactly one wave; problems are keyed by their path.
/// </summary>
public static partial class WaveParser
{
    /// <summary>The waves (null when the environment declares none) and whether to pause between them.</summary>
    public static (IReadOnlyList<DeliveryWave>? Waves, bool PauseBetweenWaves) Read(
        Dictionary<object, object?>? environment, IReadOnlyList<ClusterTarget> clusters, IReadOnlyDictionary<string, AnalysisMetric> metrics,
        string path, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        var value = environment?.GetValueOrDefault("waves");
        var pause = false;
        if (environment?.GetValueOrDefault("pauseBetweenWaves") is { } p && !(p is string ps && bool.TryParse(ps, out pause)))
        {
            Add(errors, $"{path}.pauseBetweenWaves", "must be true or false");
        }

        if (value is null)
        {
            if (pause)
            {
                Add(errors, $"{path}.pauseBetweenWaves", "needs waves: declare waves or leave pauseBetweenWaves out");
            }

            return (null, false);
        }

        var wavesPath = $"{path}.waves";
        if (value is not List<object?> items || items.Count == 0)
        {
            Add(errors, wavesPath, "must be a non-empty list of waves such as [{name: first, clusters: [a]}, {name: rest, clusters: [b]}]");
            return (null, false);
        }

        var known = clusters.Select(c => c.Name).ToList();
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        var waves = new List<DeliveryWave>();
        for (var i = 0; i < items.Count; i++)
        {
            if (ReadWave(items[i], $"{wavesPath}[{i}]", known, owner, waves, metrics, options, errors) is { } wave)
            {
                waves.Add(wave);
            }
        }

        foreach (var missing in known.Where(c => !owner.ContainsKey(c)))
        {
            Add(errors, wavesPath, $"cluster '{missing}' of the environment is in no wave: every cluster belongs to exactly one wave");
        }

        return (waves, pause);
    }

    private static DeliveryWave? ReadWave(object? item, string path, List<string> known, Dictionary<string, string> owner, List<DeliveryWave> earlier,
        IReadOnlyDictionary<string, AnalysisMetric> metrics, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        if (item is not Dictionary<object, object?> map)
        {
            Add(errors, path, "must be {name, clusters, analysis?, soak?}");
            return null;
        }

        var name = Str(map, "name");
        var ok = true;
        if (name is null || !NameRule().IsMatch(name))
        {
            Add(errors, $"{path}.name", "is required: lowercase letters, digits and '-', at most 63 characters, starting with a letter");
            ok = false;
        }
        else if (earlier.Any(w => w.Name == name))
        {
            Add(errors, $"{path}.name", $"wave '{name}' is declared twice");
            ok = false;
        }

        var names = map.GetValueOrDefault("clusters") switch
        {
            string s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Cast<object?>().ToList(),
            List<object?> l => l,
            _ => [],
        };
        if (names.Count == 0)
        {
            Add(errors, $"{path}.clusters", "must list at least one cluster of the environment");
            ok = false;
        }

        var members = new List<string>();
        for (var j = 0; j < names.Count; j++)
        {
            var cluster = names[j] as string;
            var at = $"{path}.clusters[{j}]";
            if (cluster is null || !known.Contains(cluster))
            {
                Add(errors, at, $"'{cluster}' is not a cluster of this environment ({string.Join(", ", known)})");
                ok = false;
            }
            else if (owner.TryGetValue(cluster, out var other))
            {
                Add(errors, at, $"cluster '{cluster}' is already in wave '{other}': every cluster belongs to exactly one wave");
                ok = false;
            }
            else
            {
                owner[cluster] = name ?? $"#{j}";
                members.Add(cluster);
            }
        }

        AnalysisStep? analysis = null;
        if (map.TryGetValue("analysis", out var body))
        {
            analysis = StrategyParser.ReadAnalysis(body, $"{path}.analysis", metrics, options, errors);
            ok &= analysis is not null;
        }

        TimeSpan? soak = null;
        if (Str(map, "soak") is { } d)
        {
            if (Durations.TryParse(d, out var duration))
            {
                soak = duration;
            }
            else
            {
                Add(errors, $"{path}.soak", "must be a duration such as 30s or 10m");
                ok = false;
            }
        }

        return ok ? new DeliveryWave(name!, members, analysis, soak) : null;
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    private static partial Regex NameRule();
}
