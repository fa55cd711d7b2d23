using System.Threading.RateLimiting;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Catalog.Index;

/// <summary>
/// First come, first served for the index's CPU-bound reads (queries, full-text search, facets): at most
/// <see cref="CatalogOptions.ReadConcurrency"/> run at once and the rest wait in arrival order, holding no thread.
/// Without it a saturated instance served its requests in the thread pool's order, which is not arrival order, and under
/// a closed loop of 50 clients full-text search answered half its requests in 80 ms and some after 1.8 s (issue #18).
/// A queue past <see cref="CatalogOptions.ReadQueueLimit"/> is answered 503 with Retry-After, so an overloaded
/// instance sheds load instead of growing its queue without bound. Backed by the framework's
/// <see cref="ConcurrencyLimiter"/>.
/// </summary>
public sealed class CatalogReadGate : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;

    public CatalogReadGate(CatalogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Permits = options.ReadConcurrency > 0 ? options.ReadConcurrency : Environment.ProcessorCount;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Permits,
            QueueLimit = Math.Max(0, options.ReadQueueLimit),
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>Reads that may run at once.</summary>
    public int Permits { get; }

    /// <summary>Reads waiting for their turn now.</summary>
    public long Queued => _limiter.GetStatistics()?.CurrentQueuedCount ?? 0;

    /// <summary>Waits for this request's turn; dispose the lease when the index work is done (before the answer is written).</summary>
    public async ValueTask<RateLimitLease> EnterAsync(HttpContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var lease = await _limiter.AcquireAsync(1, ct).ConfigureAwait(false);
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        context.Response.Headers.RetryAfter = "1";
        throw new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "The catalog is busy.",
            $"{Queued} catalog reads are already waiting on this instance; try again shortly.");
    }

    public void Dispose() => _limiter.Dispose();
}
