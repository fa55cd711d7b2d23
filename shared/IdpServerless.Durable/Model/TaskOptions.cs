namespace IdpServerless.Durable;

/// <summary>Options of one activity or sub-orchestration call.</summary>
/// <param name="Retry">Retry policy; null means one attempt.</param>
/// <param name="Timeout">Per-attempt timeout (a durable timer races each attempt); a late result is ignored.</param>
public sealed record TaskOptions(RetryPolicy? Retry = null, TimeSpan? Timeout = null);

/// <summary>
/// Retries of a failed call, waited out with durable timers (they survive restarts). The delay before attempt n+1 is
/// <c>FirstRetryInterval * BackoffCoefficient^(n-1)</c>, capped by <see cref="MaxRetryInterval"/>.
/// </summary>
/// <param name="MaxAttempts">Total attempts including the first (at least 1).</param>
/// <param name="FirstRetryInterval">Delay before the second attempt (positive).</param>
/// <param name="BackoffCoefficient">Growth of the delay per attempt (at least 1).</param>
/// <param name="MaxRetryInterval">Upper bound of one delay.</param>
/// <param name="Handle">Which failures to retry; null retries every failure.</param>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan FirstRetryInterval, double BackoffCoefficient = 2, TimeSpan? MaxRetryInterval = null, Func<TaskFailureDetails, bool>? Handle = null)
{
    /// <summary>The delay after failed attempt <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        var ticks = FirstRetryInterval.Ticks * Math.Pow(BackoffCoefficient, Math.Max(0, attempt - 1));
        var max = (MaxRetryInterval ?? TimeSpan.FromDays(6)).Ticks;
        return TimeSpan.FromTicks((long)Math.Min(ticks, max));
    }

    internal void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "MaxAttempts must be at least 1.");
        }

        if (FirstRetryInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(FirstRetryInterval), FirstRetryInterval, "FirstRetryInterval must be positive.");
        }

        if (BackoffCoefficient < 1 || double.IsNaN(BackoffCoefficient))
        {
            throw new ArgumentOutOfRangeException(nameof(BackoffCoefficient), BackoffCoefficient, "BackoffCoefficient must be at least 1.");
        }
    }
}
