using IdpServerless.Functions.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using System.Text.Json;
using IdpServerless.Hosting.Functions;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Diagnostics;

/// <summary>
/// An end-to-end probe of the queue pipeline for operators: a message on <c>diagnostics-probe</c> (setting
/// <c>Diagnostics__ProbeQueue</c>) is recorded per
/// attempt in the <c>diagnostics</c> table, so one can see that dispatch, retries, poisoning and crash recovery work on
/// a live installation. <c>failAttempts</c> makes the first N attempts fail; <c>holdFirstAttemptMs</c> keeps the first
/// attempt busy (to watch a crashed instance's message come back).
/// </summary>
public sealed class DiagnosticsProbe(FunctionInvoker invoker, StorageClient storage, TimeProvider time) : IQueueHandler
{
    public const string FunctionName = "DiagnosticsProbe";
    public const string QueueName = "diagnostics-probe";
    public const string TableName = "diagnostics";

    /// <summary>The queue-triggered function (the host's Storage Queues trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    public Task RunAsync([QueueTrigger("%" + FunctionSettings.DiagnosticsProbeQueue + "%")] Azure.Storage.Queues.Models.QueueMessage message, CancellationToken cancellationToken) =>
        invoker.RunQueueAsync(FunctionName, message, this, cancellationToken);

    public async Task HandleAsync(QueueMessageContext message, CancellationToken cancellationToken)
    {
        var request = message.Read(body => JsonSerializer.Deserialize<ProbeRequest>(body, JsonSerializerOptions.Web), "The probe message");

        if (string.IsNullOrWhiteSpace(request.ProbeId) || request.ProbeId.Length > 200)
        {
            throw new PoisonMessageException("probeId is required (at most 200 characters).");
        }

        var table = storage.GetTable(TableName);
        await table.CreateIfNotExistsAsync(cancellationToken);
        var pk = TableKeys.Escape(request.ProbeId);
        await table.UpsertEntityAsync(new TableEntity(pk, $"attempt-{message.DequeueCount:D3}")
        {
            ["ProcessId"] = Environment.ProcessId,
            ["At"] = time.GetUtcNow(),
        }, ct: cancellationToken);

        if (message.DequeueCount == 1 && request.HoldFirstAttemptMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(request.HoldFirstAttemptMs, 600_000)), time, cancellationToken);
        }

        if (message.DequeueCount <= request.FailAttempts)
        {
            throw new InvalidOperationException($"Probe {request.ProbeId} asked to fail attempt {message.DequeueCount}.");
        }

        await table.UpsertEntityAsync(new TableEntity(pk, "done")
        {
            ["ProcessId"] = Environment.ProcessId,
            ["DequeueCount"] = message.DequeueCount,
            ["At"] = time.GetUtcNow(),
        }, ct: cancellationToken);
    }

    private sealed record ProbeRequest(string ProbeId, int FailAttempts = 0, int HoldFirstAttemptMs = 0);
}

/// <summary>
/// Every five minutes, records that timers fire (row <c>heartbeat/last</c> in <c>diagnostics</c>), so operators can
/// tell a stalled timer dispatcher from a quiet one.
/// </summary>
public sealed class DiagnosticsHeartbeat(FunctionInvoker invoker, StorageClient storage, TimeProvider time) : ITimerHandler
{
    public const string FunctionName = "DiagnosticsHeartbeat";

    /// <summary>The timer-triggered function (the host's timer trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    public Task RunAsync([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        invoker.RunTimerAsync(FunctionName, timer, this, cancellationToken);

    public async Task HandleAsync(TimerContext timer, CancellationToken cancellationToken)
    {
        var table = storage.GetTable(DiagnosticsProbe.TableName);
        await table.CreateIfNotExistsAsync(cancellationToken);
        await table.UpsertEntityAsync(new TableEntity("heartbeat", "last")
        {
            ["ScheduledTime"] = timer.ScheduledTime,
            ["RanAt"] = time.GetUtcNow(),
            ["IsPastDue"] = timer.IsPastDue,
            ["ProcessId"] = Environment.ProcessId,
        }, ct: cancellationToken);
    }
}
