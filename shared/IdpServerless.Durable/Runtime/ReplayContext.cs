using System.Text;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Durable.Runtime;

/// <summary>The <see cref="OrchestrationContext"/> of one episode, backed by an <see cref="OrchestrationRunner"/>.</summary>
internal sealed class ReplayContext(OrchestrationRunner runner, string instanceId, string executionId, string name, ILoggerFactory loggers)
    : OrchestrationContext
{
    public const int MaxCustomStatusBytes = 16 * 1024;
    private const string TimerName = "timer";

    private IReadOnlyDictionary<string, string> _labels = new Dictionary<string, string>();
    private int _guidCounter;

    public override string InstanceId => instanceId;

    public override string Name => name;

    public string ExecutionId => executionId;

    public override bool IsReplaying => runner.IsReplaying;

    public override DateTimeOffset CurrentUtcDateTime => runner.CurrentTime;

    public override IReadOnlyDictionary<string, string> Labels => _labels;

    public override Guid NewGuid() => DeterministicGuid.Create($"{instanceId}|{executionId}|guid|{_guidCounter++}");

    public override Task<T> CallActivityAsync<T>(string name, object? input = null, TaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        options?.Retry?.Validate();
        var serialized = DurableJson.Serialize(input);
        return options is null || (options.Retry is null && options.Timeout is null)
            ? Typed<T>(ScheduleActivity(name, serialized, 1, null).Completion.Task)
            : WithRetriesAsync<T>(name, options, (attempt, key) => ScheduleActivity(name, serialized, attempt, key));
    }

    public override Task<T> CallSubOrchestratorAsync<T>(string name, object? input = null, string? instanceId = null, TaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        options?.Retry?.Validate();
        if (instanceId is not null)
        {
            InstanceIds.Validate(instanceId, nameof(instanceId));
        }

        var serialized = DurableJson.Serialize(input);
        return options is null || (options.Retry is null && options.Timeout is null)
            ? Typed<T>(ScheduleChild(name, serialized, instanceId, 1).Completion.Task)
            : WithRetriesAsync<T>(name, options, (attempt, _) => ScheduleChild(name, serialized, instanceId, attempt));
    }

    public override Task CreateTimer(DateTimeOffset fireAt, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var step = runner.Schedule(new Step(runner.NextTaskId(), StepKind.Timer, TimerName) { FireAt = fireAt.ToUniversalTime() });
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() => step.Completion.TrySetCanceled(cancellationToken));
        }

        return step.Completion.Task;
    }

    public override Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        if (runner.TakeBuffered(eventName) is { } buffered)
        {
            return Typed<T>(Task.FromResult(buffered.Data));
        }

        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            return Task.FromException<T>(new TimeoutException($"No event '{eventName}' had arrived (timeout {t})."));
        }

        var waiter = new TaskCompletionSource<string?>();
        runner.AddWaiter(eventName, waiter);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() =>
            {
                runner.RemoveWaiter(waiter);
                waiter.TrySetCanceled(cancellationToken);
            });
        }

        return timeout is { } limit ? WaitWithTimeoutAsync<T>(eventName, waiter, limit) : Typed<T>(waiter.Task);
    }

    public override void SetCustomStatus(object? status)
    {
        var json = DurableJson.Serialize(status);
        if (json is not null && Encoding.UTF8.GetByteCount(json) > MaxCustomStatusBytes)
        {
            throw new ArgumentException($"The custom status is {Encoding.UTF8.GetByteCount(json)} bytes of JSON; at most {MaxCustomStatusBytes} are allowed.", nameof(status));
        }

        if (!string.Equals(json, runner.CustomStatus, StringComparison.Ordinal))
        {
            runner.CustomStatus = json;
            runner.CustomStatusChanged = true;
        }
    }

    public override void ContinueAsNew(object? newInput, bool preserveUnprocessedEvents = true) =>
        runner.ContinueAsNewRequest = (DurableJson.Serialize(newInput), preserveUnprocessedEvents);

    public override ILogger CreateReplaySafeLogger(string categoryName) => new ReplaySafeLogger(this, loggers.CreateLogger(categoryName));

    internal void SetLabels(IReadOnlyDictionary<string, string>? labels) => _labels = labels ?? new Dictionary<string, string>();

    private static async Task<T> Typed<T>(Task<string?> raw)
    {
        var json = await raw;
        return DurableJson.Deserialize<T>(json)!;
    }

    private Step ScheduleActivity(string activity, string? input, int attempt, string? idempotencyKey)
    {
        var id = runner.NextTaskId();
        return runner.Schedule(new Step(id, StepKind.Activity, activity)
        {
            Input = input,
            Attempt = attempt,
            IdempotencyKey = idempotencyKey ?? $"{instanceId}:{executionId}:{id}",
        });
    }

    private Step ScheduleChild(string orchestrator, string? input, string? childId, int attempt)
    {
        var id = runner.NextTaskId();
        return runner.Schedule(new Step(id, StepKind.SubOrchestration, orchestrator)
        {
            Input = input,
            Attempt = attempt,
            ChildInstanceId = childId ?? $"{instanceId}:{executionId[..8]}:{id}",
            ChildExecutionId = DeterministicGuid.ChildExecution(instanceId, executionId, id),
        });
    }

    /// <summary>Attempts with per-attempt timeouts and durable-timer back-off; all on the orchestration's scheduler.</summary>
    private async Task<T> WithRetriesAsync<T>(string name, TaskOptions options, Func<int, string?, Step> schedule)
    {
        string? key = null;
        for (var attempt = 1; ; attempt++)
        {
            var step = schedule(attempt, key);
            key ??= step.IdempotencyKey;
            try
            {
                return await AttemptAsync<T>(name, step, options.Timeout);
            }
            catch (TaskFailedException e) when (options.Retry is { } retry && attempt < retry.MaxAttempts && (retry.Handle?.Invoke(e.FailureDetails) ?? true))
            {
                await CreateTimer(CurrentUtcDateTime + retry.DelayAfter(attempt));
            }
        }
    }

    private async Task<T> AttemptAsync<T>(string name, Step step, TimeSpan? timeout)
    {
        if (timeout is not { } limit)
        {
            return await Typed<T>(step.Completion.Task);
        }

        using var cancelTimer = new CancellationTokenSource();
        var timer = CreateTimer(CurrentUtcDateTime + limit, cancelTimer.Token);
        var winner = await Task.WhenAny(step.Completion.Task, timer);
        if (winner == timer && !step.Completion.Task.IsCompleted)
        {
            // The late result of this attempt will find its step already given up and is ignored.
            step.Completion.TrySetCanceled();
            throw new TaskFailedException(name, new TaskFailureDetails(
                typeof(TimeoutException).FullName!, $"{Step.Describe(step.Kind)} '{name}' (attempt {step.Attempt}) did not finish within {limit}.", null, null));
        }

        // Synchronous on purpose: CancelAsync would run the timer's callback on the thread pool, out of replay order.
        cancelTimer.Cancel();
        return await Typed<T>(step.Completion.Task);
    }

    private async Task<T> WaitWithTimeoutAsync<T>(string eventName, TaskCompletionSource<string?> waiter, TimeSpan timeout)
    {
        using var cancelTimer = new CancellationTokenSource();
        var timer = CreateTimer(CurrentUtcDateTime + timeout, cancelTimer.Token);
        var winner = await Task.WhenAny(waiter.Task, timer);
        if (winner == timer && !waiter.Task.IsCompleted)
        {
            runner.RemoveWaiter(waiter);
            throw new TimeoutException($"No event '{eventName}' arrived within {timeout}.");
        }

        // Synchronous on purpose: CancelAsync would run the timer's callback on the thread pool, out of replay order.
        cancelTimer.Cancel();
        return await Typed<T>(waiter.Task);
    }

    private sealed class ReplaySafeLogger(ReplayContext context, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => !context.IsReplaying && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!context.IsReplaying)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
