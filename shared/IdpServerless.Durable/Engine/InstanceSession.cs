using System.Collections.Concurrent;
using IdpServerless.Durable.Storage;

namespace IdpServerless.Durable.Engine;

/// <summary>
/// An instance's history as this process last saw it. Valid only while the state row's ETag is unchanged: every
/// commit is conditioned on <see cref="ETag"/>, so a stale session can never write; it is dropped and reloaded.
/// </summary>
internal sealed class InstanceSession(string instanceId)
{
    public string InstanceId { get; } = instanceId;

    /// <summary>Null when the instance has no history yet.</summary>
    public InstanceState? State { get; set; }

    public string? ETag { get; set; }

    /// <summary>The current execution's events, in order (stored form: large payloads as blob references).</summary>
    public List<StoredEvent> Events { get; set; } = [];

    /// <summary>Events of the last committed episode (their messages are re-sent after a cold load).</summary>
    public List<StoredEvent> LastEpisode { get; set; } = [];

    /// <summary>Loaded from storage: the last episode's messages may not have gone out.</summary>
    public bool OutboxUncertain { get; set; }

    public string? InstanceRowETag { get; set; }

    /// <summary>Payloads read from blobs, by blob name.</summary>
    public Dictionary<string, string> Payloads { get; } = new(StringComparer.Ordinal);

    public long LastUsed { get; set; }
}

/// <summary>Warm sessions of this process (bounded; least recently used go first).</summary>
internal sealed class SessionCache(int capacity)
{
    private readonly ConcurrentDictionary<string, InstanceSession> _sessions = new(StringComparer.Ordinal);
    private long _clock;

    public int Count => _sessions.Count;

    public InstanceSession? Take(string instanceId)
    {
        if (!_sessions.TryRemove(instanceId, out var s))
        {
            return null;
        }

        return s;
    }

    public void Put(InstanceSession session)
    {
        if (capacity <= 0)
        {
            return;
        }

        session.LastUsed = Interlocked.Increment(ref _clock);
        _sessions[session.InstanceId] = session;
        if (_sessions.Count > capacity)
        {
            foreach (var old in _sessions.Values.OrderBy(x => x.LastUsed).Take(Math.Max(1, capacity / 10)).ToList())
            {
                _sessions.TryRemove(old.InstanceId, out _);
            }
        }
    }

    public void Remove(string instanceId) => _sessions.TryRemove(instanceId, out _);

    public void RemoveWhere(Func<string, bool> predicate)
    {
        foreach (var key in _sessions.Keys.Where(predicate).ToList())
        {
            _sessions.TryRemove(key, out _);
        }
    }
}
