namespace IdpServerless.Functions.Docs;

/// <summary>TechDocs settings (section <c>Docs</c>, e.g. <c>Docs__SyncBuildTimeout=00:00:20</c>).</summary>
public sealed class DocsOptions
{
    public const string Section = "Docs";

    /// <summary>Blob container holding built sites.</summary>
    public string Container { get; set; } = "techdocs";

    /// <summary>Queue of build requests (<c>{"entityRef": "component:default/x"}</c>).</summary>
    public string BuildQueue { get; set; } = "docs-build";

    /// <summary>NCRONTAB schedule of the timer that queues builds for new, changed or old sites.</summary>
    public string RefreshSchedule { get; set; } = "0 */1 * * * *";

    /// <summary>
    /// Most builds one refresh queues; the rest wait for the next (missing sites first, then changed, then old ones). A
    /// first ingest of 25,000 components with docs would otherwise queue 25,000 builds at once, and building them took
    /// half the instance's CPU away from its API for as long as they ran (issue #18's benchmark). A site never built is
    /// still built on its first read.
    /// </summary>
    public int MaxBuildsPerRefresh { get; set; } = 200;

    /// <summary>A site older than this is rebuilt by the timer even when its entity did not change (docs changed in the repo).</summary>
    public TimeSpan RebuildAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long the first read of a site that was never built may spend building it before answering 503.</summary>
    public TimeSpan SyncBuildTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How often each instance re-reads the site indexes other instances wrote (for search and listings).</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Prefix of the browser app's links (empty: same origin), e.g. <c>https://portal.example.com</c>.</summary>
    public string AppBaseUrl { get; set; } = string.Empty;

    /// <summary>Prefix of asset URLs (empty: same origin as the app, as behind Static Web Apps' /api proxy).</summary>
    public string ApiBaseUrl { get; set; } = string.Empty;

    public int MaxFiles { get; set; } = 5000;

    public int MaxPages { get; set; } = 500;

    public long MaxPageBytes { get; set; } = 1024 * 1024;

    public long MaxAssetBytes { get; set; } = 5 * 1024 * 1024;

    public long MaxSiteBytes { get; set; } = 50 * 1024 * 1024;
}
