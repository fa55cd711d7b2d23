namespace IdpServerless.Durable.Runtime;

/// <summary>
/// Runs an orchestrator's code on the calling thread only, in a deterministic order: every continuation the
/// orchestrator awaits is queued here and run by <see cref="Drain"/> after each history event is applied. Nothing
/// runs inline or on the thread pool, so replay sees exactly the same interleaving every time.
/// </summary>
internal sealed class OrchestrationScheduler : TaskScheduler
{
    private readonly Queue<Task> _ready = new();
    private readonly object _gate = new();

    public override int MaximumConcurrencyLevel => 1;

    /// <summary>Starts <paramref name="body"/> on this scheduler (it runs at the next <see cref="Drain"/>).</summary>
    public Task<T> Start<T>(Func<Task<T>> body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.None, this).Unwrap();

    /// <summary>Runs queued work until none is left.</summary>
    public void Drain()
    {
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (!_ready.TryDequeue(out next!))
                {
                    return;
                }
            }

            TryExecuteTask(next);
        }
    }

    protected override void QueueTask(Task task)
    {
        lock (_gate)
        {
            _ready.Enqueue(task);
        }
    }

    // Never inline: continuations must run in queue order, inside Drain.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks()
    {
        lock (_gate)
        {
            return _ready.ToArray();
        }
    }
}
