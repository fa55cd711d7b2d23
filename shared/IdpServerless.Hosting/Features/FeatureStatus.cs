using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Hosting.Features;

/// <summary>A feature that is off because settings it needs are missing: what, why, and which settings turn it on.</summary>
public sealed record FeatureOff(string Feature, string Reason, IReadOnlyList<string> Settings);

/// <summary>
/// What of one feature is off under the app's configuration. Registered by the feature's <c>AddXxx</c> next to the
/// options it reads; reads settings only (no I/O), so it can run at start and answer readiness probes.
/// </summary>
public interface IFeatureCheck
{
    IEnumerable<FeatureOff> Check();
}

public static class FeatureCheckRegistration
{
    /// <summary>Adds a check of a feature's settings; <paramref name="check"/> yields what is off.</summary>
    public static IServiceCollection AddFeatureCheck(this IServiceCollection services, Func<IServiceProvider, IEnumerable<FeatureOff>> check)
    {
        services.AddSingleton<IFeatureCheck>(sp => new DelegateCheck(() => check(sp)));
        return services;
    }

    private sealed class DelegateCheck(Func<IEnumerable<FeatureOff>> check) : IFeatureCheck
    {
        public IEnumerable<FeatureOff> Check() => check();
    }
}

/// <summary>
/// Every feature that is off, evaluated once (settings do not change while the app runs): logged once at start by
/// <see cref="FeatureStatusLogger"/> and listed by <c>/api/health/ready</c> as <c>featuresOff</c>.
/// </summary>
public sealed class FeatureStatus(IEnumerable<IFeatureCheck> checks)
{
    private readonly Lazy<IReadOnlyList<FeatureOff>> _off = new(() => checks.SelectMany(c => c.Check()).ToList());

    public IReadOnlyList<FeatureOff> Off => _off.Value;
}

/// <summary>Names every feature that is off, once, when the app starts.</summary>
public sealed partial class FeatureStatusLogger(FeatureStatus status, ILogger<FeatureStatusLogger> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var off in status.Off)
        {
            LogFeatureOff(logger, off.Feature, off.Reason, string.Join(", ", off.Settings));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Feature off: {Feature}: {Reason} Settings: {Settings}.")]
    private static partial void LogFeatureOff(ILogger logger, string feature, string reason, string settings);
}
