namespace IdpServerless.Storage;

/// <summary>Retry and timeout settings for a <see cref="StorageClient"/>. The defaults suit production.</summary>
public sealed class StorageClientOptions
{
    /// <summary>Timeout of each attempt (not of the whole retried operation). Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt, on 408/429/500/502/503/504 and network errors. Default 3 (4 attempts).</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Base delay of the exponential backoff (with jitter). Default 400 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(400);

    /// <summary>Upper bound of one backoff delay, including a server's Retry-After. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}
