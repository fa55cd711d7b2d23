using IdpServerless.Hosting.Functions;
using Microsoft.Azure.Functions.Worker;
using System.Collections.Concurrent;
using IdpServerless.Hosting.Durable;
using Microsoft.DurableTask;
using IdpServerless.Storage;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Orchestration;

/// <summary>Input of the <c>SelfTest</c> orchestration.</summary>
/// <param name="Activities">Echo activities to run (1-1000).</param>
/// <param name="FanOut">Run them in parallel (fan-out/fan-in) instead of one after another.</param>
/// <param name="WaitForEvent">First wait for an external event with this name.</param>
/// <param name="ActivityDelayMs">How long each activity works (0-60000 ms).</param>
/// <param name="RecordEffects">Record each activity's effect (and each execution) in <c>{hub}SelfTest</c>.</param>
public sealed record SelfTestInput(int Activities = 3, bool FanOut = false, string? WaitForEvent = null, int ActivityDelayMs = 0, bool RecordEffects = true);

/// <summary>Output of <c>SelfTest</c>: the sum of the squares 1..n computed by the activities, and the event data received.</summary>
public sealed record SelfTestOutput(long Sum, int Activities, string? EventData);

/// <summary>Input of one <c>SelfTestEcho</c> call; <paramref name="Key"/> names the step (instance and index), the same on every retry; <paramref name="InstanceId"/> is the orchestration's.</summary>
public sealed record EchoInput(int Index, int DelayMs, bool Record, string Key, string InstanceId);

/// <summary>
/// A diagnostic orchestration operators can start on a live installation (<c>POST /api/orchestrations/SelfTest</c>) to
/// check the engine end to end: chaining or fan-out of echo activities, optionally after an external event. Each echo
/// records its effect once, keyed by its step (instance and index), and every execution separately, so one can see that
/// activities run at least once but take effect exactly once (rows in table <c>{hub}SelfTest</c>).
/// </summary>
public sealed class SelfTestOrchestrator
{
    public const string Name = "SelfTest";

    /// <summary>The orchestrator function (the host's DurableTask extension, or standalone mode's Durable Task worker, runs it).</summary>
    [Function(Name)]
    [OrchestrationInput(typeof(SelfTestInput))]
    public static Task<SelfTestOutput> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new SelfTestOrchestrator().RunAsync(context, context.GetInput<SelfTestInput>());
    }

    public async Task<SelfTestOutput> RunAsync(TaskOrchestrationContext context, SelfTestInput? input)
    {
        input ??= new SelfTestInput();
        var count = Math.Clamp(input.Activities, 1, 1000);
        var delay = Math.Clamp(input.ActivityDelayMs, 0, 60_000);
        string? eventData = null;
        if (!string.IsNullOrWhiteSpace(input.WaitForEvent))
        {
            context.SetCustomStatus(new { phase = "waiting", @event = input.WaitForEvent });
            eventData = (await context.WaitForExternalEvent<System.Text.Json.JsonElement?>(input.WaitForEvent))?.GetRawText();
        }

        context.SetCustomStatus(new { phase = "running", activities = count });
        long sum = 0;
        if (input.FanOut)
        {
            var results = await Task.WhenAll(Enumerable.Range(1, count).Select(i => context.CallActivityAsync<long>(SelfTestEcho.Name, new EchoInput(i, delay, input.RecordEffects, $"{context.InstanceId}/{i}", context.InstanceId))));
            sum = results.Sum();
        }
        else
        {
            for (var i = 1; i <= count; i++)
            {
                sum += await context.CallActivityAsync<long>(SelfTestEcho.Name, new EchoInput(i, delay, input.RecordEffects, $"{context.InstanceId}/{i}", context.InstanceId));
            }
        }

        context.SetCustomStatus(new { phase = "done" });
        return new SelfTestOutput(sum, count, eventData);
    }
}

/// <summary>Returns the square of its index; with <c>Record</c>, writes its effect once per step key and a row per execution.</summary>
public sealed class SelfTestEcho(StorageClient storage, IOptions<DurableTaskOptions> options)
{
    public const string Name = "SelfTestEcho";
    private static readonly ConcurrentDictionary<string, Task> Created = new(StringComparer.Ordinal);

    /// <summary>The table holding effects (<c>effect|key</c>) and executions (<c>run|guid</c>), partitioned by instance.</summary>
    public static string TableName(string taskHub) => taskHub + "SelfTest";

    [Function(Name)]
    public async Task<long> RunAsync([ActivityTrigger] EchoInput input)
    {
        TableClient? table = null;
        var pk = TableKeys.Escape(input.InstanceId);
        if (input.Record)
        {
            // One row per execution (written first, so a run cut short by a crash still shows), one per effect.
            table = storage.GetTable(TableName(options.Value.TaskHub));
            await EnsureTableAsync(table, CancellationToken.None);
            await table.AddEntityAsync(new TableEntity(pk, "run|" + Guid.NewGuid().ToString("N")) { ["Key"] = input.Key, ["ProcessId"] = Environment.ProcessId }, CancellationToken.None);
        }

        if (input.DelayMs > 0)
        {
            await Task.Delay(input.DelayMs, CancellationToken.None);
        }

        if (table is not null)
        {
            try
            {
                await table.AddEntityAsync(new TableEntity(pk, "effect|" + TableKeys.Escape(input.Key)) { ["Index"] = input.Index, ["ProcessId"] = Environment.ProcessId }, CancellationToken.None);
            }
            catch (StorageConflictException)
            {
                // Already applied by an earlier execution of this same step: the effect happens once.
            }
        }

        return (long)input.Index * input.Index;
    }

    private static Task EnsureTableAsync(TableClient table, CancellationToken ct)
    {
        var task = Created.GetOrAdd(table.Name, _ => table.CreateIfNotExistsAsync(CancellationToken.None));
        if (task.IsFaulted)
        {
            Created.TryRemove(table.Name, out _);
        }

        return task.WaitAsync(ct);
    }
}
