namespace IdpServerless.Hosting.Dispatch;

/// <summary>
/// Settings of the standalone queue and timer dispatchers (section <c>Dispatch</c>). Unset values fall back to each
/// function's own declaration; these exist so operators and tests can tune every function at once.
/// </summary>
public sealed class DispatchOptions
{
    public const string Section = "Dispatch";

    /// <summary>Turn the standalone dispatchers off (the app then only serves HTTP).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Overrides every queue function's visibility timeout (how soon a crashed instance's message reappears).</summary>
    public TimeSpan? VisibilityTimeout { get; set; }

    /// <summary>Delay before a failed message is tried again; doubles per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Overrides every queue function's idle polling ceiling.</summary>
    public TimeSpan? MaxPollingInterval { get; set; }

    /// <summary>First idle poll delay; doubles while the queue stays empty.</summary>
    public TimeSpan MinPollingInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Overrides every queue function's parallelism.</summary>
    public int? MaxConcurrency { get; set; }
}
