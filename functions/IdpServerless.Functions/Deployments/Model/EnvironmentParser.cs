using System.Globalization;
using System.Text.RegularExpressions;
using IdpServerless.Functions.Git;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace IdpServerless.Functions.Deployments.Model;

/// <summary>
/// Reads a component's delivery configuration from its catalog annotations (format in docs/deployments.md) and
/// validates it, collecting every problem keyed by its path so one answer names them all.
/// </summary>
public static partial class EnvironmentParser
{
    public const string EnvironmentsAnnotation = "idp.dev/environments";
    public const string RepositoryAnnotation = "idp.dev/deployment-repo";
    public const string ImageAnnotation = "idp.dev/image";
    public const int MaxAnnotationLength = 32 * 1024;
    private const string Root = "metadata.annotations[" + EnvironmentsAnnotation + "]";
    private static readonly IDeserializer Yaml = new DeserializerBuilder().Build();

    /// <summary>The component's delivery, or null when it declares no environments; errors are added to <paramref name="errors"/>.</summary>
    public static ComponentDelivery? Parse(string componentRef, IReadOnlyDictionary<string, string> annotations, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        var (ns, name) = ComponentRefs.Split(componentRef);
        if (!annotations.TryGetValue(EnvironmentsAnnotation, out var text) || string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var repo = new RepoRef(options.RepositoryOwner, $"{name}-deploy");
        if (annotations.TryGetValue(RepositoryAnnotation, out var repoText))
        {
            try
            {
                repo = RepoRef.Parse(repoText);
            }
            catch (FormatException e)
            {
                Add(errors, $"metadata.annotations[{RepositoryAnnotation}]", e.Message);
            }
        }

        var image = annotations.TryGetValue(ImageAnnotation, out var img) && !string.IsNullOrWhiteSpace(img) ? img.Trim() : $"{options.ImageRegistry}/{name}";
        var items = ReadItems(text, errors);
        var envs = new List<DeliveryEnvironment>();
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < items.Count; i++)
        {
            var env = ReadEnvironment(items[i], i, $"{Root}[{i}]", name, repo, options, errors);
            if (env is null)
            {
                continue;
            }

            if (envs.Any(e => string.Equals(e.Name, env.Name, StringComparison.OrdinalIgnoreCase)))
            {
                Add(errors, $"{Root}[{i}].name", $"environment '{env.Name}' is declared twice");
                continue;
            }

            envs.Add(env);
            paths[env.Name] = $"{Root}[{i}]";
        }

        if (items.Count == 0)
        {
            Add(errors, Root, "declare at least one environment");
        }

        var sorted = Promotion.PipelineParser.Resolve(envs.OrderBy(e => e.Order).ToList(), paths, errors);
        return new ComponentDelivery(componentRef, name, ns, image, sorted);
    }

    private static List<object?> ReadItems(string text, IDictionary<string, string[]> errors)
    {
        if (text.Length > MaxAnnotationLength)
        {
            Add(errors, Root, $"is longer than {MaxAnnotationLength} characters");
            return [];
        }

        var trimmed = text.Trim();
        if (!trimmed.Contains('\n', StringComparison.Ordinal) && !trimmed.StartsWith('-') && !trimmed.StartsWith('[') && !trimmed.StartsWith('{'))
        {
            // Short form: "dev,staging,prod".
            return trimmed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Cast<object?>().ToList();
        }

        try
        {
            // Aliases are refused outright: they are never needed here and are how YAML expansion bombs work.
            var parser = new Parser(new StringReader(text));
            while (parser.MoveNext())
            {
                if (parser.Current is AnchorAlias)
                {
                    Add(errors, Root, "YAML aliases are not allowed");
                    return [];
                }
            }

            var doc = Yaml.Deserialize<object?>(text);
            if (doc is List<object?> list)
            {
                return list;
            }

            Add(errors, Root, "must be a YAML list of environments or a comma-separated list of names");
        }
        catch (YamlException e)
        {
            Add(errors, Root, $"is not valid YAML (line {e.Start.Line}): {e.InnerException?.Message ?? e.Message}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this for some truncated flow collections.
            Add(errors, Root, "is not valid YAML: an unterminated flow collection ([...] or {...})");
        }

        return [];
    }

    private static DeliveryEnvironment? ReadEnvironment(object? item, int index, string path, string component, RepoRef repo, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        var map = item as Dictionary<object, object?>;
        var name = item as string ?? Str(map, "name");
        if (name is null || !NameRule().IsMatch(name))
        {
            Add(errors, $"{path}.name", "is required: lowercase letters, digits and '-', at most 63 characters, starting with a letter");
            return null;
        }

        var order = index;
        if (Str(map, "order") is { } orderText && !int.TryParse(orderText, NumberStyles.Integer, CultureInfo.InvariantCulture, out order))
        {
            Add(errors, $"{path}.order", "must be an integer");
        }

        var defaultNamespace = Str(map, "namespace") ?? component;
        var clusters = ReadClusters(map?.GetValueOrDefault("clusters"), defaultNamespace, $"{path}.clusters", options, errors);
        var strategy = StrategyParser.Read(map?.GetValueOrDefault("strategy"), $"{path}.strategy", options, errors);
        var protection = ReadProtection(map?.GetValueOrDefault("protection"), $"{path}.protection", errors);
        var deadline = options.ProgressDeadline;
        if (Str(map, "progressDeadline") is { } d && !Durations.TryParse(d, out deadline))
        {
            Add(errors, $"{path}.progressDeadline", "must be a duration such as 90s or 10m");
        }

        var replicas = options.Replicas;
        if (Str(map, "replicas") is { } r && (!int.TryParse(r, NumberStyles.Integer, CultureInfo.InvariantCulture, out replicas) || replicas is < 1 or > 100))
        {
            Add(errors, $"{path}.replicas", "must be an integer from 1 to 100");
        }

        var folder = Str(map, "path") ?? name;
        if (folder.Contains("..", StringComparison.Ordinal) || folder.StartsWith('/') || folder.Contains('\\', StringComparison.Ordinal))
        {
            Add(errors, $"{path}.path", "must be a relative folder without '..'");
        }

        var location = new DesiredStateLocation(repo, folder.Trim('/'), Str(map, "branch") ?? options.Branch);
        var failureAction = Str(map, "failureAction");
        if (failureAction is not null and not (FailureActions.Rollback or FailureActions.Pause))
        {
            Add(errors, $"{path}.failureAction", "must be rollback (default) or pause");
        }

        var (waves, pauseBetweenWaves) = WaveParser.Read(map, clusters, strategy.Metrics, path, options, errors);
        var pipeline = Promotion.PipelineParser.Read(map, path, strategy, options, errors);
        return new DeliveryEnvironment(name, order, clusters, strategy, protection, location, deadline, replicas, waves, pauseBetweenWaves, pipeline, failureAction);
    }

    private static List<ClusterTarget> ReadClusters(object? value, string defaultNamespace, string path, DeploymentOptions options, IDictionary<string, string[]> errors)
    {
        var result = new List<ClusterTarget>();
        var items = value switch
        {
            null => options.DefaultClusters.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Cast<object?>().ToList(),
            string s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Cast<object?>().ToList(),
            List<object?> l => l,
            _ => null,
        };
        if (items is null || items.Count == 0)
        {
            Add(errors, path, "must list at least one cluster");
            return result;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var map = items[i] as Dictionary<object, object?>;
            var cluster = items[i] as string ?? Str(map, "name");
            var ns = Str(map, "namespace") ?? defaultNamespace;
            if (cluster is null || !NameRule().IsMatch(cluster))
            {
                Add(errors, $"{path}[{i}].name", "is required: a cluster name (lowercase letters, digits, '-')");
                continue;
            }

            if (!NameRule().IsMatch(ns))
            {
                Add(errors, $"{path}[{i}].namespace", "must be a Kubernetes namespace name");
                continue;
            }

            result.Add(new ClusterTarget(cluster, ns));
        }

        return result;
    }

    private static Protection ReadProtection(object? value, string path, IDictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return Protection.None;
        }

        if (value is string s)
        {
            return bool.TryParse(s, out var b) ? new Protection(b, []) : Invalid();
        }

        if (value is not Dictionary<object, object?> map)
        {
            return Invalid();
        }

        var required = Str(map, "approval") is not { } a || !bool.TryParse(a, out var req) || req;
        var approvers = map.GetValueOrDefault("approvers") switch
        {
            string one => [one],
            List<object?> many => many.Select(x => x?.ToString() ?? string.Empty).ToList(),
            _ => new List<string>(),
        };
        foreach (var approver in approvers.Where(x => !x.StartsWith("role:", StringComparison.Ordinal) && !x.StartsWith("group:", StringComparison.Ordinal) && !x.StartsWith("user:", StringComparison.Ordinal)))
        {
            Add(errors, $"{path}.approvers", $"'{approver}' must be role:<name>, group:<ns>/<name> or user:<ns>/<name>");
        }

        return new Protection(required, approvers);

        Protection Invalid()
        {
            Add(errors, path, "must be true/false or {approval: true, approvers: [...]}");
            return Protection.None;
        }
    }

    /// <summary>An optional whole number from <paramref name="min"/> to <paramref name="max"/> at <c>{path}.{key}</c>; a bad one is an error there and the fallback.</summary>
    internal static int Int(Dictionary<object, object?>? map, string key, int fallback, int min, int max, string path, IDictionary<string, string[]> errors)
    {
        if (Str(map, key) is not { } text)
        {
            return fallback;
        }

        if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= min && v <= max)
        {
            return v;
        }

        Add(errors, $"{path}.{key}", $"must be an integer from {min} to {max}");
        return fallback;
    }

    internal static string? Str(Dictionary<object, object?>? map, string key) =>
        map is not null && map.TryGetValue(key, out var v) && v is string s && s.Length > 0 ? s : null;

    internal static void Add(IDictionary<string, string[]> errors, string key, string message) =>
        errors[key] = errors.TryGetValue(key, out var existing) ? [.. existing, message] : [message];

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    private static partial Regex NameRule();
}
