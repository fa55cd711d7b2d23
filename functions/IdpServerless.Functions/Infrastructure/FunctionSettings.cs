using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Docs;
using IdpServerless.Hosting.Durable;

namespace IdpServerless.Functions.Infrastructure;

/// <summary>
/// The app settings that trigger attributes name as <c>%setting%</c> (queue names and schedules a deployment may
/// change), with their defaults. Standalone, the defaults sit below every other configuration source; under the
/// Functions host the host resolves these names from app settings, so <c>local.settings.sample.json</c> and
/// <c>infra/main.bicep</c> set each one (a contract test checks that they do).
/// </summary>
public static class FunctionSettings
{
    // Configuration keys; as app settings (environment variables) they are spelt with "__" for ":", e.g.
    // Catalog__RefreshQueue, which the host's configuration, like ours, reads as Catalog:RefreshQueue.
    public const string CatalogRefreshQueue = "Catalog:RefreshQueue";
    public const string CatalogRefreshSchedule = "Catalog:RefreshSchedule";
    public const string DocsBuildQueue = "Docs:BuildQueue";
    public const string DocsRefreshSchedule = "Docs:RefreshSchedule";
    public const string DurableHealthCheckSchedule = "Durable:HealthCheckSchedule";
    public const string DiagnosticsProbeQueue = "Diagnostics:ProbeQueue";

    /// <summary>The task hub: host.json's <c>durableTask.hubName</c> is <c>%Durable:TaskHub%</c>, as our own engine options read it.</summary>
    public const string DurableTaskHub = "Durable:TaskHub";

    /// <summary>Each setting's default (the options classes' own defaults, which read the same settings).</summary>
    public static IReadOnlyDictionary<string, string?> Defaults { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
    {
        [CatalogRefreshQueue] = new CatalogOptions().RefreshQueue,
        [CatalogRefreshSchedule] = new CatalogOptions().RefreshSchedule,
        [DocsBuildQueue] = new DocsOptions().BuildQueue,
        [DocsRefreshSchedule] = new DocsOptions().RefreshSchedule,
        [DurableHealthCheckSchedule] = new DurableTaskOptions().HealthCheckSchedule,
        [DiagnosticsProbeQueue] = Diagnostics.DiagnosticsProbe.QueueName,
        [DurableTaskHub] = new DurableTaskOptions().TaskHub,
    };

    /// <summary>The app setting (environment variable) name of a configuration key.</summary>
    public static string AppSetting(string key) => key.Replace(":", "__", StringComparison.Ordinal);
}
