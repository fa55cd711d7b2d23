using System.Globalization;
using System.Text;
using IdpServerless.Functions.Git;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace IdpServerless.Functions.Deployments.GitOps;

/// <summary>
/// The layout of one environment's folder in the deployment repository:
/// <c>values.yaml</c> (image, versions, replicas, weights: what the reconciler and the simulated clusters read),
/// <c>workloads.yaml</c> (a Deployment and a Service per track) and <c>httproute.yaml</c> (Gateway API HTTPRoute whose
/// backendRefs weights split traffic between tracks). Argo CD can sync the folder as plain manifests.
/// </summary>
public static class DesiredStateFiles
{
    public const string Values = "values.yaml";
    public const string Workloads = "workloads.yaml";
    public const string Route = "httproute.yaml";

    private static readonly IDeserializer Reader = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .IgnoreUnmatchedProperties()
        .Build();

    public static IReadOnlyList<GitChange> Render(string folder, DesiredState state, string ns) =>
    [
        new GitChange(Join(folder, Values), Encoding.UTF8.GetBytes(RenderValues(state))),
        new GitChange(Join(folder, Workloads), Encoding.UTF8.GetBytes(RenderWorkloads(state, ns))),
        new GitChange(Join(folder, Route), Encoding.UTF8.GetBytes(RenderRoute(state, ns))),
    ];

    public static string Join(string folder, string file) => string.IsNullOrEmpty(folder) ? file : $"{folder.TrimEnd('/')}/{file}";

    public static string RenderValues(DesiredState s)
    {
        var b = new StringBuilder();
        b.Append("# Desired state written by IdpServerless; every commit names its deployment in a Deployment-Id trailer.\n");
        b.Append(CultureInfo.InvariantCulture, $"component: {Q(s.Component)}\napp: {Q(s.App)}\nenvironment: {Q(s.Environment)}\nstrategy: {Q(s.Strategy)}\nimage: {Q(s.Image)}\n");
        b.Append(CultureInfo.InvariantCulture, $"version: {Q(s.ServingVersion)}\n");
        if (s.ActiveColor is not null)
        {
            b.Append(CultureInfo.InvariantCulture, $"activeColor: {Q(s.ActiveColor)}\n");
        }

        b.Append("tracks:\n");
        foreach (var t in s.Tracks)
        {
            b.Append(CultureInfo.InvariantCulture, $"  - name: {Q(t.Name)}\n    version: {Q(t.Version)}\n    replicas: {t.Replicas}\n    weight: {t.Weight}\n");
        }

        HeaderRouteRules.RenderValues(b, s);
        return b.ToString();
    }

    private static string RenderWorkloads(DesiredState s, string ns)
    {
        var b = new StringBuilder();
        foreach (var t in s.Tracks)
        {
            var name = $"{s.App}-{t.Name}";
            b.Append(CultureInfo.InvariantCulture, $"""
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: {name}
                  namespace: {ns}
                  labels: {Labels(s, t)}
                spec:
                  replicas: {t.Replicas}
                  selector:
                    matchLabels: {Labels(s, t)}
                  template:
                    metadata:
                      labels: {Labels(s, t)}
                    spec:
                      containers:
                        - name: app
                          image: {Q($"{s.Image}:{t.Version}")}
                          ports: [{"{"}containerPort: 8080{"}"}]
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: {name}
                  namespace: {ns}
                spec:
                  selector: {Labels(s, t)}
                  ports: [{"{"}port: 80, targetPort: 8080{"}"}]

                """);
        }

        return b.ToString();
    }

    private static string RenderRoute(DesiredState s, string ns)
    {
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: {s.App}
              namespace: {ns}
            spec:
              parentRefs:
                - name: idp-gateway
              rules:

            """);
        HeaderRouteRules.RenderRules(b, s);
        b.Append("    - backendRefs:\n");
        foreach (var t in s.Tracks)
        {
            b.Append(CultureInfo.InvariantCulture, $"        - name: {s.App}-{t.Name}\n          port: 80\n          weight: {t.Weight}\n");
        }

        return b.ToString();
    }

    /// <summary>Reads <c>values.yaml</c>; null when it is missing or not ours.</summary>
    public static DesiredState? ParseValues(byte[]? content)
    {
        if (content is null || content.Length == 0 || content.Length > 256 * 1024)
        {
            return null;
        }

        try
        {
            var v = Reader.Deserialize<ValuesFile?>(Encoding.UTF8.GetString(content));
            if (v?.Component is null || v.App is null || v.Environment is null || v.Tracks is null || v.Tracks.Count == 0)
            {
                return null;
            }

            var tracks = v.Tracks.Where(t => t.Name is not null && t.Version is not null)
                .Select(t => new Track(t.Name!, t.Version!, t.Replicas, t.Weight)).ToList();
            var routes = v.HeaderRoutes?.Where(r => r.Name is not null && r.Match is { Count: > 0 })
                .Select(r => new HeaderRoute(r.Name!, r.Match!.Select(m => new HeaderMatch(m.HeaderName ?? string.Empty, m.Type ?? HeaderMatchTypes.Exact, m.Value ?? string.Empty)).ToList())).ToList();
            return tracks.Count == 0 ? null : new DesiredState(v.Component, v.App, v.Environment, v.Image ?? string.Empty, v.Strategy ?? "rolling", tracks, v.ActiveColor, routes is { Count: > 0 } ? routes : null);
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string Labels(DesiredState s, Track t) => $"{{app: {Q(s.App)}, track: {Q(t.Name)}, version: {Q(t.Version)}}}";

    // Versions like 1.10 or 0001 must stay strings: always quote.
    private static string Q(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private sealed class ValuesFile
    {
        public string? Component { get; set; }

        public string? App { get; set; }

        public string? Environment { get; set; }

        public string? Strategy { get; set; }

        public string? Image { get; set; }

        public string? ActiveColor { get; set; }

        public List<TrackFile>? Tracks { get; set; }

        public List<HeaderRouteFile>? HeaderRoutes { get; set; }
    }

    private sealed class HeaderRouteFile
    {
        public string? Name { get; set; }

        public List<HeaderMatchFile>? Match { get; set; }
    }

    private sealed class HeaderMatchFile
    {
        public string? HeaderName { get; set; }

        public string? Type { get; set; }

        public string? Value { get; set; }
    }

    private sealed class TrackFile
    {
        public string? Name { get; set; }

        public string? Version { get; set; }

        public int Replicas { get; set; }

        public int Weight { get; set; }
    }
}
