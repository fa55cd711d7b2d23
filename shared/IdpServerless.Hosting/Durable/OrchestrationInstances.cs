using DurableTask.Core.History;
using IdpServerless.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Newtonsoft.Json.Linq;

namespace IdpServerless.Hosting.Durable;

/// <summary>
/// What our callers need beyond <see cref="DurableTaskClient"/>, with the answers Durable Functions' HTTP API gives: a
/// start refused while an instance with the id runs, events and controls refused for unknown or finished instances,
/// purge only of finished ones, each instance's correlation labels (component, environment: what access decisions use)
/// and its history. Labels live in table <c>{hub}Labels</c> beside the task hub, because the gRPC API in front of the
/// task hub does not carry orchestration tags; history is read from the task hub through its provider, for the same reason.
/// </summary>
public sealed class OrchestrationInstances(DurableTaskClient client, StorageClient storage, TaskHubSidecar sidecar, IOptions<DurableTaskOptions> options)
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();
    private static readonly Lazy<Dictionary<EventType, Type>> EventTypes = new(() => typeof(HistoryEvent).Assembly.GetTypes()
        .Where(t => typeof(HistoryEvent).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (Type: t, Kind: ((HistoryEvent)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(t)).EventType))
        .GroupBy(x => x.Kind).ToDictionary(g => g.Key, g => g.First().Type));

    private readonly TableClient _labels = storage.GetTable(options.Value.TaskHub + "Labels");
    private Task? _created;

    public DurableTaskClient Client => client;

    /// <summary>
    /// Schedules orchestrator <paramref name="name"/> with <paramref name="labels"/>; a finished instance with the same
    /// id is replaced, an unfinished one makes it <see cref="OrchestrationAlreadyRunningException"/>.
    /// </summary>
    public async Task<string> StartAsync(string name, object? input, string? instanceId, IReadOnlyDictionary<string, string>? labels, CancellationToken ct)
    {
        instanceId ??= Guid.NewGuid().ToString("N");
        // Labels first: an instance is never visible without the labels its access decisions need.
        await EnsureTableAsync(ct).ConfigureAwait(false);
        var row = new TableEntity(TableKeys.Escape(instanceId), string.Empty);
        foreach (var (k, v) in labels ?? NoLabels)
        {
            row["l_" + k] = v;
        }

        try
        {
            await _labels.AddEntityAsync(row, ct).ConfigureAwait(false);
        }
        catch (StorageConflictException)
        {
            // The id was used before: its labels are replaced only once that instance has finished.
            if (await client.GetInstanceAsync(instanceId, false, ct).ConfigureAwait(false) is { } existing && !existing.RuntimeStatus.IsFinished())
            {
                throw new OrchestrationAlreadyRunningException(instanceId);
            }

            await _labels.UpsertEntityAsync(row, TableUpdateMode.Replace, ct).ConfigureAwait(false);
        }
        // The task hub refuses the start atomically while an instance with the id has not finished.
        var start = new StartOrchestrationOptions(instanceId).WithDedupeStatuses(OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended);
        try
        {
            return await client.ScheduleNewOrchestrationInstanceAsync(name, input, start, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is global::DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException
            or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.AlreadyExists })
        {
            throw new OrchestrationAlreadyRunningException(instanceId, e);
        }
    }

    /// <summary>The instance, or <see cref="OrchestrationNotFoundException"/>.</summary>
    public async Task<OrchestrationMetadata> RequireAsync(string instanceId, bool getInputsAndOutputs, CancellationToken ct) =>
        await client.GetInstanceAsync(instanceId, getInputsAndOutputs, ct).ConfigureAwait(false) ?? throw new OrchestrationNotFoundException(instanceId);

    /// <summary>The instance's labels (none when it was started without).</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetLabelsAsync(string instanceId, CancellationToken ct)
    {
        try
        {
            var row = await _labels.GetEntityAsync(TableKeys.Escape(instanceId), string.Empty, ct: ct).ConfigureAwait(false);
            if (row is null)
            {
                return NoLabels;
            }

            return row.Properties.Where(p => p.Key.StartsWith("l_", StringComparison.Ordinal)).ToDictionary(p => p.Key[2..], p => p.Value as string ?? string.Empty, StringComparer.Ordinal);
        }
        catch (StorageNotFoundException)
        {
            return NoLabels;
        }
    }

    /// <summary>
    /// Sends an event (buffered until the orchestrator waits for it); <see cref="OrchestrationNotFoundException"/> for an
    /// unknown instance, <see cref="OrchestrationFinishedException"/> for a finished one.
    /// </summary>
    public async Task RaiseEventAsync(string instanceId, string eventName, object? data, CancellationToken ct)
    {
        await RequireUnfinishedAsync(instanceId, ct).ConfigureAwait(false);
        await client.RaiseEventAsync(instanceId, eventName, data, ct).ConfigureAwait(false);
    }

    /// <summary>Terminates, suspends or resumes an unfinished instance (the same refusals as <see cref="RaiseEventAsync"/>).</summary>
    public async Task ControlAsync(string instanceId, OrchestrationControl control, string? reason, CancellationToken ct)
    {
        await RequireUnfinishedAsync(instanceId, ct).ConfigureAwait(false);
        await (control switch
        {
            OrchestrationControl.Terminate => client.TerminateInstanceAsync(instanceId, new TerminateInstanceOptions { Output = reason, Recursive = true }, ct),
            OrchestrationControl.Suspend => client.SuspendInstanceAsync(instanceId, reason, ct),
            _ => client.ResumeInstanceAsync(instanceId, reason, ct),
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes a finished instance's status, history and labels; the number deleted (0 when unknown).
    /// <see cref="OrchestrationNotFinishedException"/> while it is Pending, Running or Suspended.
    /// </summary>
    public async Task<int> PurgeAsync(string instanceId, CancellationToken ct)
    {
        if (await client.GetInstanceAsync(instanceId, false, ct).ConfigureAwait(false) is not { } instance)
        {
            return 0;
        }

        if (!instance.RuntimeStatus.IsFinished())
        {
            throw new OrchestrationNotFinishedException(instanceId, instance.RuntimeStatus);
        }

        var result = await client.PurgeInstanceAsync(instanceId, new PurgeInstanceOptions(Recursive: true), ct).ConfigureAwait(false);
        try
        {
            await _labels.DeleteEntityAsync(TableKeys.Escape(instanceId), string.Empty, ct: ct).ConfigureAwait(false);
        }
        catch (StorageNotFoundException)
        {
            // Started without labels.
        }

        return result.PurgedInstanceCount;
    }

    /// <summary>The current execution's history, oldest first; <see cref="OrchestrationNotFoundException"/> when unknown.</summary>
    public async Task<IReadOnlyList<HistoryEvent>> GetHistoryAsync(string instanceId, CancellationToken ct)
    {
        var service = sidecar.Service ?? throw new InvalidOperationException("The task hub is not started.");
        var states = await service.GetOrchestrationStateAsync(instanceId, allExecutions: false).WaitAsync(ct).ConfigureAwait(false);
        if (states is not { Count: > 0 } || states[0] is not { } state)
        {
            throw new OrchestrationNotFoundException(instanceId);
        }

        var json = await service.GetOrchestrationHistoryAsync(instanceId, state.OrchestrationInstance.ExecutionId).WaitAsync(ct).ConfigureAwait(false);
        var events = new List<HistoryEvent>();
        foreach (var item in JArray.Parse(string.IsNullOrEmpty(json) ? "[]" : json).OfType<JObject>())
        {
            var kind = (EventType)item.Value<int>(nameof(HistoryEvent.EventType));
            if (EventTypes.Value.TryGetValue(kind, out var type) && item.ToObject(type) is HistoryEvent e)
            {
                events.Add(e);
            }
        }

        return events;
    }

    /// <summary>
    /// Why a Failed instance failed. The gRPC API in front of the task hub keeps no failure details on the instance, so
    /// they are rebuilt from what it does keep: the failure message (its output) and the last failed activity in its
    /// history as the inner failure. Null when the instance did not fail. Without <paramref name="readHistory"/> (lists,
    /// where a history read per failed instance would cost a page of reads) only the message is given.
    /// </summary>
    public async Task<TaskFailureDetails?> GetFailureAsync(OrchestrationMetadata instance, CancellationToken ct, bool readHistory = true)
    {
        if (instance.FailureDetails is { } given || instance.RuntimeStatus != OrchestrationRuntimeStatus.Failed)
        {
            return instance.FailureDetails;
        }

        IReadOnlyList<HistoryEvent> history = readHistory ? await GetHistoryAsync(instance.InstanceId, ct).ConfigureAwait(false) : [];
        var inner = history.OfType<TaskFailedEvent>().LastOrDefault()?.FailureDetails is { } f ? Convert(f) : null;
        var completed = history.OfType<ExecutionCompletedEvent>().LastOrDefault();
        var message = instance.SerializedOutput ?? completed?.Result ?? completed?.FailureDetails?.ErrorMessage ?? "The orchestration failed; the task hub recorded no reason.";
        var type = completed?.FailureDetails?.ErrorType ?? (inner is not null ? typeof(TaskFailedException).FullName! : "OrchestrationFailed");
        return new TaskFailureDetails(type, message, completed?.FailureDetails?.StackTrace, inner, null);
    }

    private static TaskFailureDetails Convert(global::DurableTask.Core.FailureDetails d) =>
        new(d.ErrorType, d.ErrorMessage, d.StackTrace, d.InnerFailure is { } i ? Convert(i) : null, null);

    private async Task RequireUnfinishedAsync(string instanceId, CancellationToken ct)
    {
        var instance = await RequireAsync(instanceId, false, ct).ConfigureAwait(false);
        if (instance.RuntimeStatus.IsFinished())
        {
            throw new OrchestrationFinishedException(instanceId, instance.RuntimeStatus);
        }
    }

    private Task EnsureTableAsync(CancellationToken ct)
    {
        var created = _created ??= _labels.CreateIfNotExistsAsync(CancellationToken.None);
        if (created.IsFaulted)
        {
            _created = null;
        }

        return created.WaitAsync(ct);
    }
}
