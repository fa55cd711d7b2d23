namespace IdpServerless.Durable;

/// <summary>What an activity knows about the call it serves.</summary>
public abstract class ActivityContext
{
    /// <summary>The calling orchestration instance.</summary>
    public abstract string InstanceId { get; }

    /// <summary>The activity's registered name.</summary>
    public abstract string Name { get; }

    /// <summary>1 for the first try; counts the orchestrator's retries of the same call (per <see cref="RetryPolicy"/>).</summary>
    public abstract int Attempt { get; }

    /// <summary>
    /// Stable for one scheduled call across its retries and redeliveries (instance id, execution and the call's
    /// step). Activities run at least once: record the effect under this key (a table row, a git commit trailer
    /// such as <c>Idp-Idempotency-Key:</c>) and skip it when the key is already there, so the effect happens once.
    /// </summary>
    public abstract string IdempotencyKey { get; }

    /// <summary>The orchestration's correlation labels.</summary>
    public abstract IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>Cancelled when the app shuts down; the call is then delivered again later.</summary>
    public abstract CancellationToken CancellationToken { get; }
}
