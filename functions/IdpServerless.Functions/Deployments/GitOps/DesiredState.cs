namespace IdpServerless.Functions.Deployments.GitOps;

/// <summary>Track names used in desired state.</summary>
public static class Tracks
{
    public const string Stable = "stable";
    public const string Canary = "canary";

    /// <summary>The stable version at the canary's size and weight, for the canary judgement to compare against.</summary>
    public const string Baseline = "baseline";
    public const string Blue = "blue";
    public const string Green = "green";

    public static string Other(string color) => color == Blue ? Green : Blue;
}

/// <summary>One set of pods of one version behind its own Service, and the share of traffic the route sends it.</summary>
public sealed record Track(string Name, string Version, int Replicas, int Weight);

/// <summary>
/// What an environment of a component should run: the tracks (one for rolling; stable + canary; blue + green) with their
/// versions, replicas and HTTPRoute weights, and the canary's header routes. Rendered to the deployment repository by
/// <see cref="DesiredStateFiles"/>.
/// </summary>
public sealed record DesiredState(string Component, string App, string Environment, string Image, string Strategy, IReadOnlyList<Track> Tracks, string? ActiveColor = null, IReadOnlyList<HeaderRoute>? HeaderRoutes = null)
{
    /// <summary>
    /// The version serving most of the traffic, counted over all its tracks (a canary's baseline runs the stable
    /// version); ties go to the version of the first track.
    /// </summary>
    public string ServingVersion => Tracks.GroupBy(t => t.Version).OrderByDescending(g => g.Sum(t => t.Weight)).First().Key;

    public Track? Find(string track) => Tracks.FirstOrDefault(t => t.Name == track);

    public static DesiredState Rolling(string component, string app, string environment, string image, string version, int replicas) =>
        new(component, app, environment, image, "rolling", [new Track(GitOps.Tracks.Stable, version, replicas, 100)]);

    public static DesiredState Canary(string component, string app, string environment, string image, string stable, string canary, int canaryWeight, int replicas) =>
        new(component, app, environment, image, "canary",
        [
            new Track(GitOps.Tracks.Stable, stable, replicas, 100 - canaryWeight),
            new Track(GitOps.Tracks.Canary, canary, canaryWeight == 0 ? 0 : Math.Max(1, (int)Math.Ceiling(replicas * canaryWeight / 100.0)), canaryWeight),
        ]);

    /// <summary>Blue/green: <paramref name="active"/> gets all traffic; the other colour runs <paramref name="otherVersion"/> with <paramref name="otherReplicas"/>.</summary>
    public static DesiredState BlueGreen(string component, string app, string environment, string image, string active, string activeVersion, string? otherVersion, int replicas, int otherReplicas)
    {
        var tracks = new List<Track> { new(active, activeVersion, replicas, 100) };
        if (otherVersion is not null)
        {
            tracks.Add(new Track(GitOps.Tracks.Other(active), otherVersion, otherReplicas, 0));
        }

        return new(component, app, environment, image, "blueGreen", tracks.OrderBy(t => t.Name, StringComparer.Ordinal).ToList(), active);
    }
}
