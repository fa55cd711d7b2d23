using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Insights.Scorecards;

namespace IdpServerless.Functions.Insights;

/// <summary>
/// Every component's deployments of the last <see cref="Horizon"/>, held in memory for delivery rules and ownership
/// health: loaded with one filtered scan of the deployments table on first use, reloaded when older than
/// <see cref="RefreshInterval"/> (deployments finished on other instances, and time passing, show within it), and
/// updated at once when a deployment finishes on this instance (<see cref="DeploymentStore.Finished"/>).
/// </summary>
public sealed class DeliveryHistoryCache : IDeliveryHistory
{
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(400);
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(2);
    private readonly DeploymentStore _store;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _load = new(1, 1);
    private readonly Lock _write = new();
    private volatile Snapshot? _snapshot;

    public DeliveryHistoryCache(DeploymentStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
        store.Finished += OnFinished;
    }

    /// <summary>Raised with a component's ref when its history changed on this instance.</summary>
    public event Action<string>? ComponentChanged;

    /// <summary>When the history was last read in full (null before the first load).</summary>
    public DateTimeOffset? LoadedAt => _snapshot?.LoadedAt;

    public IReadOnlyList<DeploymentRecord> For(string componentRef) =>
        _snapshot is { } s && s.ByComponent.TryGetValue(componentRef, out var list) ? list : [];

    /// <summary>The components with any deployment in the horizon.</summary>
    public IReadOnlyCollection<string> Components => _snapshot?.ByComponent.Keys ?? (IReadOnlyCollection<string>)[];

    /// <summary>Loads or reloads when missing or stale; true when it read storage.</summary>
    public async Task<bool> EnsureFreshAsync(CancellationToken ct)
    {
        if (_snapshot is { } s && _time.GetUtcNow() - s.LoadedAt < RefreshInterval)
        {
            return false;
        }

        await _load.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_snapshot is { } again && _time.GetUtcNow() - again.LoadedAt < RefreshInterval)
            {
                return false;
            }

            var now = _time.GetUtcNow();
            var records = await _store.ListSinceAsync(null, now - Horizon, ct).ConfigureAwait(false);
            var byComponent = records.GroupBy(r => r.Component, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<DeploymentRecord>)g.OrderBy(r => r.CreatedAt).ToArray(), StringComparer.Ordinal);
            _snapshot = new Snapshot(byComponent, now);
            return true;
        }
        finally
        {
            _load.Release();
        }
    }

    /// <summary>Forgets the loaded history, so the next read loads it again (tests, and after a storage restore).</summary>
    public void Invalidate() => _snapshot = null;

    private void OnFinished(DeploymentRecord record)
    {
        lock (_write)
        {
            var s = _snapshot;
            if (s is null)
            {
                return;
            }

            // Copy-on-write: readers keep the dictionary they hold.
            var list = s.ByComponent.TryGetValue(record.Component, out var old) ? old.Where(r => r.Id != record.Id).Append(record).OrderBy(r => r.CreatedAt).ToArray() : [record];
            var next = new Dictionary<string, IReadOnlyList<DeploymentRecord>>(s.ByComponent, StringComparer.Ordinal) { [record.Component] = list };
            _snapshot = s with { ByComponent = next };
        }

        ComponentChanged?.Invoke(record.Component);
    }

    private sealed record Snapshot(Dictionary<string, IReadOnlyList<DeploymentRecord>> ByComponent, DateTimeOffset LoadedAt);
}
