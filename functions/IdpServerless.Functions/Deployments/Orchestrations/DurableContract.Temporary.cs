// TEMPORARY: the engine's programming-model contract (/work/prompts/engine.md), so deployments compile before
// feat/engine lands. Delete this file when merging the engine; nothing here is an implementation.
#pragma warning disable CA1716, CA1711, CA1032, CA1064
namespace IdpServerless.Durable;

public abstract class Orchestrator<TInput, TOutput>
{
    public abstract Task<TOutput> RunAsync(OrchestrationContext context, TInput input);
}

public abstract class Activity<TInput, TOutput>
{
    public abstract Task<TOutput> RunAsync(ActivityContext context, TInput input);
}

public abstract class OrchestrationContext
{
    public abstract string InstanceId { get; }

    public abstract string Name { get; }

    public abstract bool IsReplaying { get; }

    public abstract DateTimeOffset CurrentUtcDateTime { get; }

    public abstract IReadOnlyDictionary<string, string> Labels { get; }

    public abstract Guid NewGuid();

    public abstract Task<T> CallActivityAsync<T>(string name, object? input = null, TaskOptions? options = null);

    public Task CallActivityAsync(string name, object? input = null, TaskOptions? options = null) => CallActivityAsync<object?>(name, input, options);

    public abstract Task CreateTimer(DateTimeOffset fireAt, CancellationToken cancellationToken = default);

    public abstract Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    public abstract void SetCustomStatus(object? status);

    public abstract ILogger CreateReplaySafeLogger(string categoryName);
}

public abstract class ActivityContext
{
    public abstract string InstanceId { get; }

    public abstract string Name { get; }

    public abstract int Attempt { get; }

    public abstract string IdempotencyKey { get; }
}

public sealed record TaskOptions(RetryPolicy? Retry = null, TimeSpan? Timeout = null);

public sealed record RetryPolicy(int MaxAttempts, TimeSpan FirstRetryInterval, double BackoffCoefficient = 2, TimeSpan? MaxRetryInterval = null);

public sealed record TaskFailureDetails(string ErrorType, string Message, string? StackTrace, TaskFailureDetails? Inner);

public sealed class TaskFailedException(string taskName, TaskFailureDetails details) : Exception(details.Message)
{
    public string TaskName { get; } = taskName;

    public TaskFailureDetails FailureDetails { get; } = details;
}

public sealed record StartOrchestrationOptions(string? InstanceId = null, IReadOnlyDictionary<string, string>? Labels = null, DateTimeOffset? StartAt = null);

public enum OrchestrationRuntimeStatus
{
    Pending,
    Running,
    Suspended,
    Completed,
    Failed,
    Terminated,
    ContinuedAsNew,
}

public sealed record OrchestrationMetadata(string Name, string InstanceId, OrchestrationRuntimeStatus RuntimeStatus, string? SerializedInput, string? SerializedOutput, string? SerializedCustomStatus, DateTimeOffset CreatedTime, DateTimeOffset LastUpdatedTime, IReadOnlyDictionary<string, string> Labels, TaskFailureDetails? FailureDetails);

public interface IOrchestrationClient
{
    Task<string> StartNewAsync(string orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken ct = default);

    Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = true, CancellationToken ct = default);

    Task RaiseEventAsync(string instanceId, string eventName, object? eventData = null, CancellationToken ct = default);
}

public sealed class OrchestrationAlreadyExistsException(string instanceId) : Exception(instanceId);

public sealed class InstanceNotFoundException(string instanceId) : Exception(instanceId);

public sealed class InstanceCompletedException(string instanceId) : Exception(instanceId);

public interface IDurableBuilder
{
    IDurableBuilder AddOrchestrator<T>(string name) where T : class;

    IDurableBuilder AddActivity<T>(string name) where T : class;

    IServiceCollection Services { get; }
}

public static class DurableStubRegistration
{
    public static IDurableBuilder AddDurableEngine(this IServiceCollection services, IConfiguration configuration) => new Builder(services);

    private sealed class Builder(IServiceCollection services) : IDurableBuilder
    {
        public IServiceCollection Services => services;

        public IDurableBuilder AddOrchestrator<T>(string name) where T : class => this;

        public IDurableBuilder AddActivity<T>(string name) where T : class => this;
    }
}
