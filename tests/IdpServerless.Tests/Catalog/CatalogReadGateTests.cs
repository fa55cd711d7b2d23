using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Hosting.Problems;
using IdpServerless.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace IdpServerless.Tests.Catalog;

/// <summary>The catalog's read gate: reads beyond its permits wait in arrival order, and a full queue is a 503 with Retry-After.</summary>
public class CatalogReadGateTests
{
    [Fact]
    public async Task Waiting_reads_get_their_turn_in_the_order_they_arrived()
    {
        using var gate = new CatalogReadGate(new CatalogOptions { ReadConcurrency = 1, ReadQueueLimit = 100 });
        var first = await gate.EnterAsync(new DefaultHttpContext(), CancellationToken.None);
        var order = new List<int>();
        var waiting = new List<Task>();
        for (var i = 0; i < 20; i++)
        {
            var n = i;
            waiting.Add(Task.Run(async () =>
            {
                using (await gate.EnterAsync(new DefaultHttpContext(), CancellationToken.None))
                {
                    lock (order)
                    {
                        order.Add(n);
                    }
                }
            }));
            // Each waiter is queued before the next one starts.
            await Eventually.TrueAsync(() => Task.FromResult(gate.Queued == n + 1), TimeSpan.FromSeconds(10), $"waiter {n} queued");
        }

        first.Dispose();
        await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(0, 20), order);
        Assert.Equal(1, gate.Permits);
    }

    [Fact]
    public async Task A_read_past_the_queue_limit_is_answered_503_with_retry_after_and_the_queued_ones_still_run()
    {
        using var gate = new CatalogReadGate(new CatalogOptions { ReadConcurrency = 1, ReadQueueLimit = 1 });
        var held = await gate.EnterAsync(new DefaultHttpContext(), CancellationToken.None);
        var queued = gate.EnterAsync(new DefaultHttpContext(), CancellationToken.None).AsTask();
        var refused = new DefaultHttpContext();

        var e = await Assert.ThrowsAsync<ProblemException>(async () => await gate.EnterAsync(refused, CancellationToken.None));
        held.Dispose();
        using var lease = await queued.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, e.Status);
        Assert.Contains("busy", e.Title, StringComparison.Ordinal);
        Assert.Equal("1", refused.Response.Headers.RetryAfter.ToString());
        Assert.True(lease.IsAcquired);
    }

    [Fact]
    public void Without_a_setting_the_gate_admits_one_read_per_processor()
    {
        using var gate = new CatalogReadGate(new CatalogOptions());

        Assert.Equal(Environment.ProcessorCount, gate.Permits);
    }
}
