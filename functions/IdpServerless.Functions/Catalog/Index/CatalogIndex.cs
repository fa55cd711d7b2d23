using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Catalog.Index;

/// <summary>
/// The catalog in memory: every entity with its computed relations, the filter postings Backstage's search table
/// would hold, and the full-text index. Every read answers from here, never from Table storage. Writers apply whole
/// batches under a write lock; readers share a read lock and copy out what they need, so a page is always consistent.
/// </summary>
public sealed partial class CatalogIndex : IDisposable
{
    /// <summary>Entities in a change from which its relations are computed in parallel.</summary>
    private const int ParallelFrom = 2048;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, EntityRecord> _byRef = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EntityRecord> _byUid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<(string Type, string Source)>> _incoming = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KeyPostings> _keys = new(StringComparer.Ordinal);
    private readonly Stack<int> _free = new();
    private readonly FullTextIndex _text;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EntityRecord?[] _slots = new EntityRecord?[1024];
    private int _used;
    private long _version;

    private readonly TimeSpan _readyWait;

    public CatalogIndex(CatalogOptions options)
    {
        _text = new FullTextIndex(options.SearchAnnotations);
        _readyWait = options.ReadyWait;
    }

    /// <summary>Changes with every applied batch; caches key on it.</summary>
    public long Version => Interlocked.Read(ref _version);

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _byRef.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Completes when the first full load from storage has been applied.</summary>
    public Task Ready => _ready.Task;

    public bool IsReady => _ready.Task.IsCompleted;

    public void MarkReady() => _ready.TrySetResult();

    /// <summary>
    /// Waits (up to <see cref="CatalogOptions.ReadyWait"/>) until the first load from storage is done; otherwise a 503
    /// with Retry-After (<see cref="CatalogLoadingException"/>): never an answer from a partly loaded catalog.
    /// </summary>
    public async Task EnsureReadyAsync(TimeProvider time, CancellationToken ct)
    {
        if (IsReady)
        {
            return;
        }

        if (_readyWait <= TimeSpan.Zero)
        {
            throw new CatalogLoadingException();
        }

        try
        {
            await _ready.Task.WaitAsync(_readyWait, time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new CatalogLoadingException();
        }
    }

    public EntityRecord? Get(string refKey)
    {
        _lock.EnterReadLock();
        try
        {
            return _byRef.GetValueOrDefault(refKey);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public EntityRecord? GetByUid(string uid)
    {
        _lock.EnterReadLock();
        try
        {
            return _byUid.GetValueOrDefault(uid);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The records of <paramref name="refKeys"/> (null where missing), in order.</summary>
    public EntityRecord?[] GetMany(IReadOnlyList<string> refKeys)
    {
        _lock.EnterReadLock();
        try
        {
            var result = new EntityRecord?[refKeys.Count];
            for (var i = 0; i < refKeys.Count; i++)
            {
                result[i] = _byRef.GetValueOrDefault(refKeys[i]);
            }

            return result;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Every record matching <paramref name="predicate"/> (a snapshot; for small scans such as a location's entities).</summary>
    public List<EntityRecord> Where(Func<EntityRecord, bool> predicate)
    {
        _lock.EnterReadLock();
        try
        {
            return _byRef.Values.Where(predicate).ToList();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Applies one batch: <paramref name="upserts"/> replace or add entities, <paramref name="deletes"/> (ref keys) remove
    /// them; the relations of every entity on either end of a changed relation are recomputed.
    /// </summary>
    public void Apply(IReadOnlyCollection<StoredEntity> upserts, IReadOnlyCollection<string> deletes)
    {
        HashSet<string>? changed = null;
        var batch = LastOfEachRef(upserts);
        // Parsing, flattening and finding the words happen outside the lock; only the pointer work happens inside it.
        var records = batch.Count > 256
            ? batch.AsParallel().Select(Prepare).ToArray()
            : batch.Select(Prepare).ToArray();
        _lock.EnterWriteLock();
        try
        {
            var affected = new HashSet<string>(StringComparer.Ordinal);
            foreach (var refKey in deletes)
            {
                if (_byRef.TryGetValue(refKey, out var old))
                {
                    RemoveRecord(old, affected);
                }
            }

            foreach (var (record, _) in records)
            {
                if (_byRef.TryGetValue(record.RefKey, out var old))
                {
                    RemoveRecord(old, affected);
                }

                Place(record);
            }

            // One after the other: filling the words beside the postings (they are separate structures) was measured
            // and gained nothing within noise on a 50k first load (docs/benchmarks.md), so it stays simple.
            AddPairs(records, affected);
            AddWords(records);

            RefreshRelations(affected);

            if (Changed is not null)
            {
                // What a listener must look at again: the entities written or removed, those whose relations moved,
                // and those that point at a written or removed entity (a rule may ask whether its owner exists).
                changed = new HashSet<string>(affected, StringComparer.Ordinal);
                foreach (var refKey in deletes.Concat(records.Select(r => r.Record.RefKey)))
                {
                    changed.Add(refKey);
                    if (_incoming.TryGetValue(refKey, out var sources))
                    {
                        foreach (var (_, source) in sources)
                        {
                            changed.Add(source);
                        }
                    }
                }
            }

            Interlocked.Increment(ref _version);
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        if (changed is not null)
        {
            Changed?.Invoke(changed);
        }
    }

    /// <summary>The upserts with only the last of any ref given twice (it is the one that would stand).</summary>
    private static IReadOnlyCollection<StoredEntity> LastOfEachRef(IReadOnlyCollection<StoredEntity> upserts)
    {
        var seen = new HashSet<string>(upserts.Count, StringComparer.Ordinal);
        if (upserts.All(u => seen.Add(u.RefKey)))
        {
            return upserts;
        }

        var last = new Dictionary<string, StoredEntity>(StringComparer.Ordinal);
        foreach (var u in upserts)
        {
            last[u.RefKey] = u;
        }

        return last.Values;
    }

    private (EntityRecord Record, TextTerms Terms) Prepare(StoredEntity stored)
    {
        var record = new EntityRecord(stored);
        return (record, _text.Prepare(record));
    }

    /// <summary>
    /// Raised after each <see cref="Apply"/> (outside the lock, on the writer's thread) with the refs a derived view
    /// must re-read; listeners must be quick (queue the work).
    /// </summary>
    public event Action<IReadOnlyCollection<string>>? Changed;

    /// <summary>Gives the record a slot and makes it findable by ref and uid.</summary>
    private void Place(EntityRecord record)
    {
        var slot = _free.Count > 0 ? _free.Pop() : _used++;
        if (slot >= _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        record.Slot = slot;
        _slots[slot] = record;
        _byRef[record.RefKey] = record;
        _byUid[record.Uid] = record;
    }

    /// <summary>The placed records' filter postings and declared relations (the incoming side of their targets).</summary>
    private void AddPairs((EntityRecord Record, TextTerms Terms)[] records, HashSet<string> affected)
    {
        foreach (var (record, _) in records)
        {
            // Keep the index's own copies of keys and values, so the record's duplicates can be collected.
            var pairs = record.Pairs;
            for (var i = 0; i < pairs.Length; i++)
            {
                var (key, value, original) = pairs[i];
                var (k, v) = AddPair(record.Slot, key, value, original);
                pairs[i] = (k, v, null);
            }

            foreach (var d in record.Declared)
            {
                if (!_incoming.TryGetValue(d.TargetRef, out var set))
                {
                    _incoming[d.TargetRef] = set = [];
                }

                set.Add((d.ReverseType, record.RefKey));
                affected.Add(d.TargetRef);
            }

            affected.Add(record.RefKey);
        }
    }

    /// <summary>The placed records' words in the full-text index.</summary>
    private void AddWords((EntityRecord Record, TextTerms Terms)[] records)
    {
        foreach (var (record, terms) in records)
        {
            _text.Add(record.Slot, terms);
        }
    }

    private void RemoveRecord(EntityRecord record, HashSet<string> affected)
    {
        var slot = record.Slot;
        foreach (var (key, value, _) in record.Pairs)
        {
            RemovePair(slot, key, value);
        }

        foreach (var relation in record.Relations)
        {
            RemovePair(slot, RelationKey(relation.Type), relation.TargetRef);
        }

        _text.Remove(record);
        foreach (var d in record.Declared)
        {
            if (_incoming.TryGetValue(d.TargetRef, out var set) && set.Remove((d.ReverseType, record.RefKey)) && set.Count == 0)
            {
                _incoming.Remove(d.TargetRef);
            }

            affected.Add(d.TargetRef);
        }

        _byRef.Remove(record.RefKey);
        if (_byUid.TryGetValue(record.Uid, out var byUid) && ReferenceEquals(byUid, record))
        {
            _byUid.Remove(record.Uid);
        }

        _slots[slot] = null;
        _free.Push(slot);
        record.Relations = [];
    }

    private (string Key, string? Value) AddPair(int slot, string key, string? value, string? original)
    {
        if (!_keys.TryGetValue(key, out var postings))
        {
            _keys[key] = postings = new KeyPostings(key);
        }

        postings.Exists.Add(slot);
        if (value is null)
        {
            return (postings.Key, null);
        }

        if (!postings.Values.TryGetValue(value, out var posting))
        {
            postings.Values[value] = posting = new ValuePosting(value, original ?? value);
        }

        posting.Slots.Add(slot);
        return (postings.Key, posting.Value);
    }

    private void RemovePair(int slot, string key, string? value)
    {
        if (!_keys.TryGetValue(key, out var postings))
        {
            return;
        }

        postings.Exists.Remove(slot);
        if (value is not null && postings.Values.TryGetValue(value, out var posting) && posting.Slots.Remove(slot) && posting.Slots.Count == 0)
        {
            postings.Values.Remove(value);
        }

        if (postings.Exists.Count == 0 && postings.Values.Count == 0)
        {
            _keys.Remove(key);
        }
    }

    public void Dispose() => _lock.Dispose();

    private sealed class KeyPostings(string key)
    {
        public string Key { get; } = key;

        public SlotSet Exists { get; } = new();

        public Dictionary<string, ValuePosting> Values { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>The slots having one value of a key (the set itself, to spend one object per value, not two).</summary>
    private sealed class ValuePosting(string value, string original) : SlotSet
    {
        public string Value { get; } = value;

        public string Original { get; } = original;

        public SlotSet Slots => this;
    }
}

/// <summary>503 while the catalog's first load runs (<see cref="Api.CatalogLoadingRetryAfter"/> adds <c>Retry-After</c>).</summary>
public sealed class CatalogLoadingException()
    : ProblemException(503, ProblemTypes.Unavailable, "The catalog is still loading.", "The catalog is loading from storage; try again shortly.")
{
    /// <summary>Seconds a client should wait before asking again.</summary>
    public const int RetryAfterSeconds = 1;
}
