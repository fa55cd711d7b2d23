namespace IdpServerless.Functions.Deployments.Model;

/// <summary>
/// One wave of a release that spans several clusters: the environment's strategy runs on <see cref="Clusters"/>
/// while the clusters of later waves keep the stable version.
/// </summary>
/// <param name="Name">The wave's name (unique in its environment).</param>
/// <param name="Clusters">Names of the environment's clusters the wave reaches (each cluster is in exactly one wave).</param>
/// <param name="Analysis">An analysis of the new version on the wave's clusters once the strategy finished there (optional).</param>
/// <param name="Soak">How long the wave's clusters run the new version before the next wave starts (optional; controls apply).</param>
public sealed record DeliveryWave(string Name, IReadOnlyList<string> Clusters, AnalysisStep? Analysis = null, TimeSpan? Soak = null);
