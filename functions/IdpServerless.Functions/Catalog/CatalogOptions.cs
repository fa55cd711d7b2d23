namespace IdpServerless.Functions.Catalog;

/// <summary>Catalog settings (section <c>Catalog</c>, e.g. <c>Catalog__StaleAfter=1.00:00:00</c>).</summary>
public sealed class CatalogOptions
{
    public const string Section = "Catalog";

    /// <summary>NCRONTAB schedule of the timer that refreshes every location.</summary>
    public string RefreshSchedule { get; set; } = "0 */5 * * * *";

    /// <summary>An entity not refreshed for this long is reported stale.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Largest catalog file (or <c>$text</c>/<c>$yaml</c>/<c>$json</c> placeholder target) read, in bytes.</summary>
    public long MaxDocumentBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest single entity once serialized, in bytes (it must fit one table row).</summary>
    public int MaxEntityBytes { get; set; } = 512 * 1024;

    /// <summary>Most entities one registered location (with every nested Location target) may produce.</summary>
    public int MaxEntitiesPerLocation { get; set; } = 100_000;

    /// <summary>Deepest chain of Location entities followed from a registered location.</summary>
    public int MaxLocationDepth { get; set; } = 10;

    /// <summary>Deepest YAML nesting accepted.</summary>
    public int MaxYamlDepth { get; set; } = 64;

    /// <summary>Nodes YAML aliases may create in one file (alias bombs need billions).</summary>
    public int MaxYamlAliasNodes { get; set; } = 10_000;

    /// <summary>
    /// Folders <c>file</c> locations may read (absolute paths). <c>IDP_DEMO_DIR</c> and <c>IDP_DATA_DIR</c>/catalog are
    /// added automatically. A file target outside every root is refused.
    /// </summary>
    public List<string> FileRoots { get; set; } = [];

    /// <summary>Hosts <c>url</c> locations may read; empty allows any http(s) host.</summary>
    public List<string> AllowedUrlHosts { get; set; } = [];

    /// <summary>Hosts whose <c>/owner/repo/blob/ref/path</c> URLs are read through the git provider instead of plain HTTP.</summary>
    public List<string> GitHosts { get; set; } = ["github.com"];

    /// <summary>Annotation keys whose values full-text search reads besides names, titles, descriptions, tags, owners, kinds and types.</summary>
    public List<string> SearchAnnotations { get; set; } = ["github.com/project-slug"];

    /// <summary>How often each instance reads the change log written by the others.</summary>
    public TimeSpan ChangeFeedInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long change-log rows are kept (an instance further behind reloads everything).</summary>
    public TimeSpan ChangeLogRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a request waits for the instance's first catalog load before it is answered 503 with Retry-After
    /// (0: at once). The load is from the snapshot when there is a usable one, else from Table storage.
    /// </summary>
    public TimeSpan ReadyWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Catalog reads (queries, full-text search, facets) that run at once on an instance; the rest wait in arrival order.
    /// 0: one per processor, since the work is CPU-bound and more at once only reorders it.
    /// </summary>
    public int ReadConcurrency { get; set; }

    /// <summary>Reads that may wait for their turn; past this an instance answers 503 with Retry-After.</summary>
    public int ReadQueueLimit { get; set; } = 10_000;

    /// <summary>A pause before the first load (to stagger a burst of instances; tests use it to see the loading state).</summary>
    public TimeSpan InitialLoadDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Blob container of the index snapshot new instances start from (tests give each run its own).</summary>
    public string SnapshotContainer { get; set; } = "catalog-snapshots";

    /// <summary>How often the current instance checks whether to write a new snapshot (0 or negative: never writes).</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A snapshot is written once the catalog has not changed for this long after a change (keeps the tail short).</summary>
    public TimeSpan SnapshotQuietPeriod { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Under constant change, a snapshot is written at the latest this long after the first unsnapshotted change.</summary>
    public TimeSpan SnapshotMaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Queue the refresh function reads (<c>catalog-refresh</c>; tests give each app its own).</summary>
    public string RefreshQueue { get; set; } = "catalog-refresh";

    /// <summary>Table names (tests give each run its own).</summary>
    public string EntitiesTable { get; set; } = "catalogentities";

    public string LocationsTable { get; set; } = "cataloglocations";

    public string ChangesTable { get; set; } = "catalogchanges";
}
