using System.Threading.Channels;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Audit;

/// <summary>
/// The one audit writer. <see cref="RecordAsync"/> returns once the record is durable in the hash chain: nothing is
/// acknowledged that could still be lost. To keep that from becoming a bottleneck, one loop per instance commits every
/// record waiting at that moment in a single entity group transaction (up to 99 records plus the day's head row,
/// which is updated under its ETag), so concurrent callers share one storage round trip. Instances race only on the
/// head's ETag: the loser re-reads the head and re-seals its records, so the chain stays one ordered line.
/// </summary>
public sealed partial class AuditChainWriter : IAuditLog, IAsyncDisposable
{
    private const int MaxRecordsPerCommit = 99;
    private const int MaxBytesPerCommit = 2 * 1024 * 1024;
    private const int MaxFailedAttempts = 6;
    private const int MaxContention = 200;

    private readonly AuditChainStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditChainWriter> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Dictionary<string, ChainHead> _heads = new(StringComparer.Ordinal);
    private readonly Task _loop;

    public AuditChainWriter(AuditChainStore store, TimeProvider time, ILogger<AuditChainWriter> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public async Task RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        var pending = new Pending(AuditDraft.From(auditEvent, _time.GetUtcNow()));
        await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        await pending.Committed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops taking records and waits (up to 30 s) until the queued ones are committed.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogShutdownTimeout(_logger, _queue.Reader.Count);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxRecordsPerCommit);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            var bytes = 0;
            while (batch.Count < MaxRecordsPerCommit && bytes < MaxBytesPerCommit && _queue.Reader.TryRead(out var p))
            {
                batch.Add(p);
                bytes += p.Draft.ApproximateBytes;
            }

            // Records of one day go into one partition's transaction; a batch spanning midnight commits per day.
            foreach (var run in batch.GroupBy(p => p.Draft.Day).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                await CommitAsync(run.Key, run.ToList()).ConfigureAwait(false);
            }
        }
    }

    private async Task CommitAsync(string day, List<Pending> run)
    {
        var failures = 0;
        var contention = 0;
        while (true)
        {
            try
            {
                await AppendAsync(day, run).ConfigureAwait(false);
                foreach (var p in run)
                {
                    p.Committed.TrySetResult();
                }

                return;
            }
            catch (StorageException e) when (e.Status is 409 or 412 && ++contention <= MaxContention)
            {
                // Another instance appended (or created the day) first: start again from the stored head.
                _heads.Remove(day);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 5 + Math.Min(contention, 50))), _time).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StorageException or HttpRequestException or TaskCanceledException or TimeoutException)
            {
                _heads.Remove(day);
                if (++failures >= MaxFailedAttempts || contention > MaxContention)
                {
                    LogCommitFailed(_logger, e, run.Count, day);
                    foreach (var p in run)
                    {
                        p.Committed.TrySetException(new InvalidOperationException($"The audit log could not be written after {failures} attempts.", e));
                    }

                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100 * (1 << failures)), _time).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogCommitFailed(_logger, e, run.Count, day);
                foreach (var p in run)
                {
                    p.Committed.TrySetException(e);
                }

                return;
            }
        }
    }

    private async Task AppendAsync(string day, List<Pending> run)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = timeout.Token;
        var hasher = await _store.ReadyAsync(ct).ConfigureAwait(false);
        if (!_heads.TryGetValue(day, out var head))
        {
            head = await _store.ReadHeadAsync(day, ct).ConfigureAwait(false);
        }

        if (head.IsNew)
        {
            await _store.IndexDayAsync(day, ct).ConfigureAwait(false);
        }

        var ops = new List<TableBatchOperation>(run.Count + 1);
        var seq = head.Seq;
        var prevHash = head.Hash;
        foreach (var p in run)
        {
            seq++;
            var record = p.Draft.Seal(seq, seq == 1 ? head.LinkRef : string.Empty, prevHash, hasher);
            prevHash = record.Hash;
            ops.Add(new TableBatchOperation(TableBatchAction.Add, record.ToEntity()));
        }

        var headRow = new TableEntity(AuditKeys.DayPartition(day), AuditKeys.HeadRow)
        {
            ["Day"] = day,
            ["Seq"] = seq,
            ["Hash"] = prevHash,
            ["Seal"] = hasher.HeadSeal(day, seq, prevHash),
        };
        ops.Add(head.IsNew
            ? new TableBatchOperation(TableBatchAction.Add, headRow)
            : new TableBatchOperation(TableBatchAction.UpdateReplace, headRow, head.ETag));
        var results = await _store.Table.SubmitBatchAsync(ops, ct).ConfigureAwait(false);
        if (results[^1].ETag is { Length: > 0 } etag)
        {
            if (_heads.Count > 4)
            {
                _heads.Clear();
            }

            _heads[day] = new ChainHead(day, seq, prevHash, etag, string.Empty);
        }
        else
        {
            _heads.Remove(day);
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Critical, Message = "{Count} audit record(s) of day {Day} could not be written; the calls they record were answered with this failure logged")]
    private static partial void LogCommitFailed(ILogger logger, Exception e, int count, string day);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Critical, Message = "Shutdown: {Count} audit record(s) were still queued after 30 s")]
    private static partial void LogShutdownTimeout(ILogger logger, int count);

    private sealed class Pending(AuditDraft draft)
    {
        public AuditDraft Draft { get; } = draft;

        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
