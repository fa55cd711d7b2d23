using System.Text.Json;

namespace IdpServerless.Durable;

/// <summary>
/// An orchestrator function: durable, replayed from its history, so its code must be deterministic. Use only the
/// <see cref="OrchestrationContext"/> for time, GUIDs, activities, timers and events; do no I/O; never use
/// <c>ConfigureAwait(false)</c>, <c>Task.Run</c> or <c>Task.Delay</c> (they leave the orchestration's scheduler).
/// Register with <see cref="IDurableBuilder.AddOrchestrator{T}"/>; an instance is created per episode.
/// </summary>
/// <typeparam name="TInput">Input, deserialized from JSON (web defaults).</typeparam>
/// <typeparam name="TOutput">Output, serialized to JSON.</typeparam>
public abstract class Orchestrator<TInput, TOutput> : IOrchestratorFunction
{
    public abstract Task<TOutput> RunAsync(OrchestrationContext context, TInput input);

    async Task<string?> IOrchestratorFunction.RunAsync(OrchestrationContext context, string? serializedInput)
    {
        var input = DurableJson.Deserialize<TInput>(serializedInput);
        var output = await RunAsync(context, input!);
        return DurableJson.Serialize(output);
    }
}

/// <summary>
/// An activity function: ordinary code (I/O allowed) that runs <b>at least once</b> per scheduled call. Make its
/// effect idempotent with <see cref="ActivityContext.IdempotencyKey"/>. Resolved from DI per call, so constructor
/// injection works. Register with <see cref="IDurableBuilder.AddActivity{T}"/>.
/// </summary>
/// <typeparam name="TInput">Input, deserialized from JSON (web defaults).</typeparam>
/// <typeparam name="TOutput">Output, serialized to JSON.</typeparam>
public abstract class Activity<TInput, TOutput> : IActivityFunction
{
    public abstract Task<TOutput> RunAsync(ActivityContext context, TInput input);

    async Task<string?> IActivityFunction.RunAsync(ActivityContext context, string? serializedInput)
    {
        var input = DurableJson.Deserialize<TInput>(serializedInput);
        var output = await RunAsync(context, input!).ConfigureAwait(false);
        return DurableJson.Serialize(output);
    }
}

/// <summary>The engine's untyped view of an orchestrator.</summary>
internal interface IOrchestratorFunction
{
    Task<string?> RunAsync(OrchestrationContext context, string? serializedInput);
}

/// <summary>The engine's untyped view of an activity.</summary>
internal interface IActivityFunction
{
    Task<string?> RunAsync(ActivityContext context, string? serializedInput);
}

/// <summary>The one JSON convention of the engine: System.Text.Json with web defaults.</summary>
public static class DurableJson
{
    /// <summary>Web defaults (camelCase, case-insensitive reads, numbers from strings).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>JSON text of <paramref name="value"/>, or null for null.</summary>
    public static string? Serialize(object? value) => value is null ? null : JsonSerializer.Serialize(value, value.GetType(), Options);

    /// <summary>The value of <paramref name="json"/>, or default for null/empty text.</summary>
    public static T? Deserialize<T>(string? json) => string.IsNullOrEmpty(json) ? default : JsonSerializer.Deserialize<T>(json, Options);
}
