using IdpServerless.Functions.Catalog.Ingestion;

namespace IdpServerless.Functions.Catalog;

/// <summary>
/// In local mode (<c>IDP_MODE=local</c>) with <c>IDP_DEMO_DIR</c> set, registers <c>$IDP_DEMO_DIR/catalog/all.yaml</c>
/// as a <c>file</c> location once the catalog has loaded, or refreshes it when it is already registered, so the demo
/// organisation is there without a token. Idempotent across restarts and instances.
/// </summary>
public sealed partial class DemoCatalogLoader(IConfiguration config, CatalogService service, IServiceProvider services, ILogger<DemoCatalogLoader> logger) : BackgroundService
{
    public const string RootFile = "catalog/all.yaml";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!string.Equals(config["IDP_MODE"], "local", StringComparison.OrdinalIgnoreCase) || config["IDP_DEMO_DIR"] is not { Length: > 0 } demo)
        {
            return;
        }

        var file = Path.GetFullPath(Path.Combine(demo, RootFile));
        if (!File.Exists(file))
        {
            LogMissing(logger, file);
            return;
        }

        var registry = services.GetRequiredService<Index.LocationRegistry>();
        for (var attempt = 1; attempt <= 5 && !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await service.EnsureReadyAsync(stoppingToken).ConfigureAwait(false);
                if (registry.Find(LocationSpec.File, file) is { } existing)
                {
                    await service.RefreshAsync(existing.Id, stoppingToken).ConfigureAwait(false);
                }
                else
                {
                    await service.RegisterAsync(new LocationSpec(LocationSpec.File, file), dryRun: false, stoppingToken).ConfigureAwait(false);
                }

                LogLoaded(logger, file);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Another instance may have registered it a moment ago (409), or storage is still starting: try again.
                LogFailed(logger, e, attempt);
                await Task.Delay(TimeSpan.FromSeconds(attempt), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Demo catalog loaded from {File}")]
    private static partial void LogLoaded(ILogger logger, string file);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Demo catalog {File} does not exist; nothing loaded")]
    private static partial void LogMissing(ILogger logger, string file);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Warning, Message = "Loading the demo catalog failed (attempt {Attempt})")]
    private static partial void LogFailed(ILogger logger, Exception e, int attempt);
}
